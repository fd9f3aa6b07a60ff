using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Sandboxes;

/// <summary>Pods with the real bridge plugin, runc and conmon. One class: its tests share iptables and run in sequence.</summary>
[Collection("pods")]
public sealed class PodLifecycleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _cgroupParent = Pods.NewCgroupParent();
    private CriDaemon _daemon = null!;
    private PodNetwork _network = null!;

    public async Task InitializeAsync()
    {
        PodNetwork? network = null;
        _daemon = await CriDaemon.StartAsync(output, s =>
        {
            Pods.Configure(s);
            network = PodNetwork.For(s);
        });
        _network = network!;
        // One pod first: the bridge, the daemon's lazily opened fds (inotify, process pipes) and the JIT all
        // settle, so each test's leak baseline counts only what that test does.
        var warmup = await RunAsync(Pods.Config("warmup", _cgroupParent));
        await StopAndRemoveAsync(warmup);
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        _network.Dispose();
        Pods.RemoveCgroupParent(_cgroupParent);
    }

    private async Task<string> RunAsync(PodSandboxConfig config, string handler = "") =>
        (await _daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config, RuntimeHandler = handler })).PodSandboxId;

    private async Task StopAndRemoveAsync(string id)
    {
        await _daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
        await _daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
    }

    private async Task<(PodSandboxStatus Status, JsonElement Info)> StatusAsync(string id)
    {
        var response = await _daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true });
        return (response.Status, JsonDocument.Parse(response.Info["info"]).RootElement.Clone());
    }

    [Fact]
    public async Task RunPodSandbox_BridgeNetwork_PodGetsIpAndIsReady()
    {
        var before = LeakCheck.Take(_daemon, _network, _cgroupParent);

        var id = (await _daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = Pods.Config("web", _cgroupParent) })).PodSandboxId;

        var status = await _daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true });
        Assert.Equal(PodSandboxState.SandboxReady, status.Status.State);
        Assert.StartsWith(_network.Subnet[..^"0/24".Length], status.Status.Network.Ip);
        Assert.Equal("runc", status.Status.RuntimeHandler);
        Assert.Equal("web", status.Status.Metadata.Name);
        using var info = JsonDocument.Parse(status.Info["info"]);
        var netns = info.RootElement.GetProperty("netnsPath").GetString()!;
        Assert.True(info.RootElement.GetProperty("pid").GetInt32() > 0);
        var addr = Pods.InNetns(netns, "ip", "-4", "addr", "show", "eth0");
        Assert.Contains(status.Status.Network.Ip + "/24", addr.Stdout);
        Assert.Contains("UP", Pods.InNetns(netns, "ip", "link", "show", "lo").Stdout);

        await _daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
        var stopped = await _daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id });
        Assert.Equal(PodSandboxState.SandboxNotready, stopped.Status.State);
        await _daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await _daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        LeakCheck.Take(_daemon, _network, _cgroupParent).AssertSameAs(before);
    }
}
