using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Sandboxes;

/// <summary>
/// A daemon with pods through runc and conmon on a bridge network of the test class's own. Pod test classes share
/// the "pods" collection, so they run in sequence (portmap's top-level iptables chains are shared).
/// </summary>
public abstract class PodTestBase(ITestOutputHelper output) : IAsyncLifetime
{
    protected string CgroupParent { get; } = Pods.NewCgroupParent();
    protected CriDaemon Daemon { get; private set; } = null!;
    protected PodNetwork Network { get; private set; } = null!;

    /// <summary>The class's network takes kubelet's pod CIDR (UpdateRuntimeConfig) through the ipRanges capability.</summary>
    protected virtual bool UsesPodCidr => false;

    /// <summary>Runs before the first pod (e.g. to send kubelet's UpdateRuntimeConfig).</summary>
    protected virtual Task OnDaemonStartedAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        PodNetwork? network = null;
        Daemon = await CriDaemon.StartAsync(output, s =>
        {
            Pods.Configure(s);
            s.CniPluginDirs.AddRange([Path.Combine(s.Dir, "fake-cni"), "/usr/lib/cni"]);
            network = PodNetwork.For(s, ipRanges: UsesPodCidr);
            s.ExtraToml.Append($"[runtime.handlers.missing]\npath = \"/nonexistent/oci-runtime\"\nroot = \"{s.Dir}/missing\"\n");
        });
        Network = network!;
        await OnDaemonStartedAsync();
        // One pod first: the bridge, the daemon's lazily opened fds (inotify, process pipes) and the JIT all
        // settle, so each test's leak baseline counts only what that test does.
        var warmup = await RunAsync(Pods.Config("warmup", CgroupParent));
        await StopAndRemoveAsync(warmup);
    }

    public async Task DisposeAsync()
    {
        await Pods.RemoveAllAsync(Daemon);
        await Daemon.DisposeAsync();
        Network.Dispose();
        Pods.RemoveCgroupParent(CgroupParent);
    }

    protected async Task<string> RunAsync(PodSandboxConfig config, string handler = "") =>
        (await Daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config, RuntimeHandler = handler })).PodSandboxId;

    protected async Task StopAndRemoveAsync(string id)
    {
        await Daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
        await Daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
    }

    protected async Task<(PodSandboxStatus Status, JsonElement Info)> StatusAsync(string id)
    {
        var response = await Daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true });
        return (response.Status, JsonDocument.Parse(response.Info["info"]).RootElement.Clone());
    }
}
