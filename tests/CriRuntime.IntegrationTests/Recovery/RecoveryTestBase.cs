using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Containers;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Recovery;

/// <summary>
/// Container tests (shared registry) whose pods are on a bridge network of the test's own (host-local IPAM, no
/// portmap, so no iptables chain is shared with the "pods" collection), plus crash and restart helpers: arm a
/// failpoint (CRIRUNTIME_FAILPOINT, the daemon SIGKILLs itself there), expect the crash, restart without it and
/// wait for the startup recovery to finish.
/// </summary>
public abstract class RecoveryTestBase(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    protected const string FailpointVariable = "CRIRUNTIME_FAILPOINT";
    protected const string RecoveryFinished = "startup recovery finished";

    protected PodNetwork Network { get; private set; } = null!;

    protected override void Configure(DaemonSettings settings)
    {
        settings.CniPluginDirs.Add("/usr/lib/cni");
        Network = PodNetwork.For(settings, portmap: false);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Network.Dispose();
    }

    protected LeakCheck Leaks() => LeakCheck.Take(Daemon, Network, CgroupParent);

    /// <summary>A pod in its own network namespace on the test's bridge.</summary>
    protected async Task<(string Id, PodSandboxConfig Config)> RunNetworkPodAsync(string name)
    {
        var config = NetworkPodConfig(name);
        var id = (await Daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config, RuntimeHandler = Handler })).PodSandboxId;
        return (id, config);
    }

    protected PodSandboxConfig NetworkPodConfig(string name)
    {
        var config = Pods.Config(name, CgroupParent);
        config.LogDirectory = Path.Combine(Daemon.Settings.Dir, "pod-logs", config.Metadata.Uid);
        return config;
    }

    /// <summary>Restarts the daemon (SIGTERM first) with <paramref name="failpoint"/> armed.</summary>
    protected async Task ArmAsync(string failpoint)
    {
        Daemon.Settings.Environment[FailpointVariable] = failpoint;
        await Daemon.StopAsync();
        await Daemon.RestartAsync();
    }

    /// <summary>Runs the call that reaches the armed failpoint: the connection drops and the daemon dies of SIGKILL.</summary>
    protected async Task ExpectCrashAsync(string failpoint, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Output.WriteLine($"{failpoint}: the client saw {e.StatusCode}");
        Assert.Equal(137, await Daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"failpoint {failpoint} reached", Daemon.Log);
    }

    /// <summary>Starts the daemon again without any failpoint and waits until its startup recovery has finished.</summary>
    protected async Task RecoverAsync() => await WaitForRecoveryAsync(await RestartUnarmedAsync());

    /// <summary>
    /// Starts the daemon again without any failpoint and returns as soon as it serves (startup recovery may still be
    /// running); pass the result to <see cref="WaitForRecoveryAsync"/>.
    /// </summary>
    protected async Task<int> RestartUnarmedAsync()
    {
        Daemon.Settings.Environment.Remove(FailpointVariable);
        var seen = Daemon.LogCount(RecoveryFinished);
        await Daemon.RestartAsync();
        return seen;
    }

    protected async Task WaitForRecoveryAsync(int seenBefore) =>
        await Daemon.WaitForLogAsync(RecoveryFinished, seenBefore, TimeSpan.FromSeconds(60));

    protected async Task<IReadOnlyList<PodSandbox>> ListPodsAsync() =>
        (await Daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items;

    protected async Task<IReadOnlyList<Container>> ListContainersAsync() =>
        (await Daemon.Runtime.ListContainersAsync(new ListContainersRequest())).Containers;

    /// <summary>Waits until the log file has more lines than it has now (the container is alive and its monitor logs).</summary>
    protected static async Task AssertLogGrowsAsync(string logPath)
    {
        var lines = File.Exists(logPath) ? File.ReadAllLines(logPath).Length : 0;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((File.Exists(logPath) ? File.ReadAllLines(logPath).Length : 0) <= lines && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(File.ReadAllLines(logPath).Length > lines, $"{logPath} stopped growing");
    }

    protected ContainerConfig Ticker(string name) => BusyboxConfig(name, "sh", "-c", "while :; do echo tick; sleep 0.1; done");
}
