using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Grpc;

public sealed class RuntimeInfoTests(ITestOutputHelper output)
{
    private const string BridgeConflist = """
        {"cniVersion":"1.0.0","name":"test-net","plugins":[{"type":"bridge","bridge":"cni0","ipam":{"type":"host-local","subnet":"10.88.0.0/16"}}]}
        """;

    [Fact]
    public async Task Version_ReportsRuntimeNameVersionAndApi()
    {
        await using var daemon = await CriDaemon.StartAsync(output);

        var version = await daemon.Runtime.VersionAsync(new VersionRequest { Version = "v1" });

        Assert.Equal("criruntime", version.RuntimeName);
        Assert.Equal("v1", version.RuntimeApiVersion);
        Assert.Equal("0.1.0", version.Version);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.RuntimeVersion);
    }

    [Fact]
    public async Task Status_WithoutCniConfig_NetworkNotReady()
    {
        await using var daemon = await CriDaemon.StartAsync(output);

        var status = await daemon.Runtime.StatusAsync(new StatusRequest());

        var network = status.Status.Conditions.Single(c => c.Type == "NetworkReady");
        Assert.False(network.Status);
        Assert.Equal("NetworkPluginNotReady", network.Reason);
        Assert.Contains(daemon.Settings.CniConfDir, network.Message);
        Assert.Single(status.Status.Conditions, c => c.Type == "RuntimeReady");
    }

    [Fact]
    public async Task Status_FollowsCniConfigDirectory()
    {
        await using var daemon = await CriDaemon.StartAsync(output);
        File.WriteAllText(Path.Combine(daemon.Settings.CniConfDir, "10-test.conflist"), BridgeConflist);

        var ready = await daemon.Runtime.StatusAsync(new StatusRequest());
        Assert.True(ready.Status.Conditions.Single(c => c.Type == "NetworkReady").Status);

        File.Delete(Path.Combine(daemon.Settings.CniConfDir, "10-test.conflist"));
        var gone = await daemon.Runtime.StatusAsync(new StatusRequest());
        Assert.False(gone.Status.Conditions.Single(c => c.Type == "NetworkReady").Status);
    }

    [Fact]
    public async Task Status_RuntimeReady_WhenHandlerAndMonitorPresent()
    {
        await using var daemon = await CriDaemon.StartAsync(output, s =>
        {
            s.PauseBinary = Pods.Pause;
            s.DefaultHandler = "runc";
        });

        var status = await daemon.Runtime.StatusAsync(new StatusRequest());

        var runtime = status.Status.Conditions.Single(c => c.Type == "RuntimeReady");
        Assert.True(runtime.Status, runtime.Message);
    }

    [Fact]
    public async Task Status_RuntimeNotReady_NamesMissingHandler()
    {
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append("""
            [runtime]
            default_handler = "missing"
            [runtime.handlers.missing]
            path = "/nonexistent/oci-runtime"
            root = "/run/missing"
            """));

        var status = await daemon.Runtime.StatusAsync(new StatusRequest());

        var runtime = status.Status.Conditions.Single(c => c.Type == "RuntimeReady");
        Assert.False(runtime.Status);
        Assert.Contains("/nonexistent/oci-runtime", runtime.Message);
    }

    [Fact]
    public async Task Status_Verbose_ReturnsEffectiveConfigAsJson()
    {
        await using var daemon = await CriDaemon.StartAsync(output);

        var status = await daemon.Runtime.StatusAsync(new StatusRequest { Verbose = true });

        using var config = JsonDocument.Parse(status.Info["config"]);
        Assert.Equal(daemon.Socket, config.RootElement.GetProperty("api").GetProperty("listen").GetString());
        Assert.Equal(daemon.Settings.Root, config.RootElement.GetProperty("root").GetString());
    }

    [Fact]
    public async Task RuntimeConfig_ReportsCgroupfsDriver()
    {
        await using var daemon = await CriDaemon.StartAsync(output);

        var config = await daemon.Runtime.RuntimeConfigAsync(new RuntimeConfigRequest());

        Assert.Equal(CgroupDriver.Cgroupfs, config.Linux.CgroupDriver);
    }

    [Fact]
    public async Task UnsupportedRpc_ReturnsUnimplementedNamingIt()
    {
        await using var daemon = await CriDaemon.StartAsync(output);

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await daemon.Runtime.CheckpointContainerAsync(new CheckpointContainerRequest { ContainerId = "x" }));

        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        Assert.Contains("CheckpointContainer", e.Status.Detail);
    }
}
