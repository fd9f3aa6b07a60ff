using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Grpc;

/// <summary>Status as kubelet reads it (readiness, runtime handlers and their features) and RPCs we refuse.</summary>
public sealed class RuntimeStatusTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Status_RuntimeHandlers_DefaultUnderEmptyNameFeaturesFromOciRuntime()
    {
        await using var daemon = await CriDaemon.StartAsync(output, s => { Pods.Configure(s); s.DefaultHandler = "criruntime"; });

        var status = await daemon.Runtime.StatusAsync(new StatusRequest());

        Assert.True(status.Status.Conditions.Single(c => c.Type == "RuntimeReady").Status);
        var handlers = status.RuntimeHandlers.ToDictionary(h => h.Name);
        Assert.Equal(["", "criruntime", "runc"], handlers.Keys.Order());
        // runc and our launcher list "rro" in their features and this kernel (>= 5.12) has mount_setattr(AT_RECURSIVE).
        var kernelHasRro = Environment.OSVersion.Version >= new Version(5, 12);
        Assert.Equal(kernelHasRro, handlers["runc"].Features.RecursiveReadOnlyMounts);
        Assert.Equal(kernelHasRro, handlers["criruntime"].Features.RecursiveReadOnlyMounts);
        Assert.Equal(handlers["criruntime"].Features, handlers[""].Features);
        Assert.All(handlers.Values, h => Assert.False(h.Features.UserNamespaces));
    }

    [Fact]
    public async Task Status_PauseBinaryMissing_RuntimeNotReady()
    {
        await using var daemon = await CriDaemon.StartAsync(output, s =>
        {
            Pods.Configure(s);
            s.PauseBinary = "/nonexistent/criruntime-pause";
        });

        var status = await daemon.Runtime.StatusAsync(new StatusRequest());

        var runtime = status.Status.Conditions.Single(c => c.Type == "RuntimeReady");
        Assert.False(runtime.Status);
        Assert.Equal("PauseNotFound", runtime.Reason);
        Assert.Contains("/nonexistent/criruntime-pause", runtime.Message);
    }

    [Fact]
    public async Task Status_LauncherBinaryMissing_RuntimeNotReadyNamingIt()
    {
        await using var daemon = await CriDaemon.StartAsync(output, s =>
        {
            Pods.Configure(s);
            s.DefaultHandler = "criruntime";
            s.Launcher = ("/nonexistent/criruntime-launch", Path.Combine(s.Dir, "launch"));
        });

        var status = await daemon.Runtime.StatusAsync(new StatusRequest());

        var runtime = status.Status.Conditions.Single(c => c.Type == "RuntimeReady");
        Assert.False(runtime.Status);
        Assert.Equal("RuntimeNotFound", runtime.Reason);
        Assert.Contains("/nonexistent/criruntime-launch", runtime.Message);
        // NetworkReady is its own condition: a missing runtime does not hide it.
        Assert.Single(status.Status.Conditions, c => c.Type == "NetworkReady");
    }

    [Fact]
    public async Task Status_StateDirReadOnly_RuntimeNotReadyUntilWritableAgain()
    {
        await using var daemon = await CriDaemon.StartAsync(output, Pods.Configure);
        var root = daemon.Settings.Root;
        Assert.True((await daemon.Runtime.StatusAsync(new StatusRequest())).Status.Conditions.Single(c => c.Type == "RuntimeReady").Status);

        // Root ignores file modes, but not a read-only mount: the state dir becomes one under the running daemon.
        HostCommand.Check("mount", "--bind", root, root);
        RuntimeCondition runtime;
        try
        {
            HostCommand.Check("mount", "-o", "remount,bind,ro", root);
            runtime = (await daemon.Runtime.StatusAsync(new StatusRequest())).Status.Conditions.Single(c => c.Type == "RuntimeReady");
        }
        finally
        {
            HostCommand.Check("umount", root);
        }

        Assert.False(runtime.Status);
        Assert.Equal("StateDirNotWritable", runtime.Reason);
        Assert.Contains(root, runtime.Message);
        Assert.True((await daemon.Runtime.StatusAsync(new StatusRequest())).Status.Conditions.Single(c => c.Type == "RuntimeReady").Status);
    }

    [Fact]
    public async Task CheckpointContainer_Unimplemented_SaysWhy()
    {
        await using var daemon = await CriDaemon.StartAsync(output);

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await daemon.Runtime.CheckpointContainerAsync(new CheckpointContainerRequest { ContainerId = "abc", Location = "/tmp/x.tar" }));

        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        Assert.Contains("CRIU", e.Status.Detail);
    }
}
