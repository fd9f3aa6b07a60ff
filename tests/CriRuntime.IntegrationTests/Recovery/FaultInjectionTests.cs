using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Containers;
using CriRuntime.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Recovery;

/// <summary>
/// The daemon SIGKILLs itself at each named step of the pod, container and image lifecycles (src/CriRuntime/Recovery/
/// Failpoint.cs); after a restart the lists hold exactly what the client was told, and nothing is left on the host.
/// An interrupted creation is undone and kubelet's retry succeeds; an interrupted Stop or Remove is finished by the
/// start itself, before it serves: the first answers are the completed outcome, with no call repeated.
/// </summary>
public sealed class FaultInjectionTests(ITestOutputHelper output, ContainerImages images) : RecoveryTestBase(output, images)
{
    public static TheoryData<string> Failpoints() =>
    [
        "pod.run.after-record", "pod.run.after-netns", "pod.run.after-cni-add", "pod.run.after-cni-result",
        "pod.run.after-pause-create", "pod.run.before-ready",
        "pod.stop.after-containers", "pod.stop.after-teardown",
        "pod.remove.after-containers", "pod.remove.after-runtime-delete", "pod.remove.before-record-delete",
        "container.create.after-record", "container.create.after-rootfs", "container.create.after-spec",
        "container.create.after-monitor-create", "container.create.before-created",
        "container.start.after-runtime-start", "container.stop.after-kill",
        "container.remove.after-runtime-delete", "container.remove.after-rootfs", "container.remove.before-record-delete",
        "image.pull.mid-layer",
    ];

    [Theory]
    [MemberData(nameof(Failpoints))]
    public async Task DaemonKilled_AtFailpoint_RecoversConsistentlyAndLeavesNothing(string failpoint)
    {
        var before = Leaks();
        await ArmAsync(failpoint);
        var scenario = failpoint[..failpoint.LastIndexOf('.')];
        await (scenario switch
        {
            "pod.run" => PodRunAsync(failpoint),
            "pod.stop" => PodStopAsync(failpoint, before),
            "pod.remove" => PodRemoveAsync(failpoint, before),
            "container.create" => ContainerCreateAsync(failpoint),
            "container.start" => ContainerStartAsync(failpoint),
            "container.stop" => ContainerStopAsync(failpoint),
            "container.remove" => ContainerRemoveAsync(failpoint),
            "image.pull" => ImagePullAsync(failpoint),
            _ => throw new ArgumentException(failpoint),
        });
        Assert.Empty(await ListPodsAsync());
        Assert.Empty(await ListContainersAsync());
        Leaks().AssertSameAs(before, "daemon fds");
    }

    /// <summary>RunPodSandbox never returned: no pod is listed, and kubelet's retry makes one.</summary>
    private async Task PodRunAsync(string failpoint)
    {
        var config = NetworkPodConfig("faulty");
        await ExpectCrashAsync(failpoint, () => Daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config }).ResponseAsync);
        await RecoverAsync();
        Assert.Empty(await ListPodsAsync());
        var id = (await Daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config })).PodSandboxId;
        Assert.Equal(PodSandboxState.SandboxReady, Assert.Single(await ListPodsAsync()).State);
        await StopRemovePodAsync(id);
    }

    /// <summary>
    /// StopPodSandbox never returned: the start finishes it before serving, so the first List already shows the pod
    /// NOTREADY with its container exited, its network torn down and its pause gone.
    /// </summary>
    private async Task PodStopAsync(string failpoint, LeakCheck before)
    {
        var pod = await RunNetworkPodAsync("stopping");
        var container = await RunAsync(pod, Ticker("ticker"));
        await ExpectCrashAsync(failpoint, () => Daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod.Id }).ResponseAsync);
        var seen = await RestartUnarmedAsync();
        var listed = Assert.Single(await ListPodsAsync());
        Assert.Equal((pod.Id, PodSandboxState.SandboxNotready), (listed.Id, listed.State));
        var c = Assert.Single(await ListContainersAsync());
        Assert.Equal((container, ContainerState.ContainerExited), (c.Id, c.State));
        Assert.Equal(137, (await StatusAsync(container)).ExitCode); // SIGKILL: a pod's Stop gives its containers no grace
        Assert.Contains($"finished interrupted StopPodSandbox of {pod.Id}", Daemon.Log);
        // The pod stays until its Remove; what its Stop undoes (IPs, rules, the pause and container processes) is gone.
        Leaks().Only("host-local allocations", "iptables rules", "processes in cgroups").AssertSameAs(before);
        await WaitForRecoveryAsync(seen);
        await Daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod.Id });
    }

    /// <summary>RemovePodSandbox never returned: the start finishes it before serving; the pod is gone and nothing of it remains.</summary>
    private async Task PodRemoveAsync(string failpoint, LeakCheck before)
    {
        var pod = await RunNetworkPodAsync("removing");
        await RunAsync(pod, Ticker("ticker"));
        await Daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod.Id });
        await ExpectCrashAsync(failpoint, () => Daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod.Id }).ResponseAsync);
        var seen = await RestartUnarmedAsync();
        Assert.Empty(await ListPodsAsync());
        Assert.Empty(await ListContainersAsync());
        Assert.Contains($"finished interrupted RemovePodSandbox of {pod.Id}", Daemon.Log);
        Leaks().AssertSameAs(before, "daemon fds");
        await WaitForRecoveryAsync(seen);
    }

    /// <summary>CreateContainer never returned: no container is listed, and the retry with the same name succeeds.</summary>
    private async Task ContainerCreateAsync(string failpoint)
    {
        var pod = await RunNetworkPodAsync("creating");
        await ExpectCrashAsync(failpoint, () => CreateAsync(pod, Ticker("ticker")));
        await RecoverAsync();
        Assert.Empty(await ListContainersAsync());
        var id = await RunAsync(pod, Ticker("ticker"));
        await WaitForLogAsync((await StatusAsync(id)).LogPath, "tick");
        await StopRemovePodAsync(pod.Id);
    }

    /// <summary>StartContainer never returned after the runtime started the process: it is reported running, not created.</summary>
    private async Task ContainerStartAsync(string failpoint)
    {
        var pod = await RunNetworkPodAsync("starting");
        var id = await CreateAsync(pod, Ticker("ticker"));
        await ExpectCrashAsync(failpoint, () => Daemon.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }).ResponseAsync);
        await RecoverAsync();
        var status = await StatusAsync(id);
        Assert.Equal(ContainerState.ContainerRunning, status.State);
        Assert.True(status.StartedAt >= status.CreatedAt);
        await AssertLogGrowsAsync(status.LogPath);
        await StopRemovePodAsync(pod.Id);
    }

    /// <summary>StopContainer never returned: the start finishes it before serving; the container is exited with its exit code.</summary>
    private async Task ContainerStopAsync(string failpoint)
    {
        var pod = await RunNetworkPodAsync("stopping");
        var podOnly = Leaks();
        var id = await RunAsync(pod, Ticker("ticker"));
        await ExpectCrashAsync(failpoint, () => Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 10 }).ResponseAsync);
        var seen = await RestartUnarmedAsync();
        var c = Assert.Single(await ListContainersAsync());
        Assert.Equal((id, ContainerState.ContainerExited), (c.Id, c.State));
        var status = await StatusAsync(id);
        Assert.Equal((143, "Error"), (status.ExitCode, status.Reason)); // the stop signal (SIGTERM) ended it before the crash
        Assert.True(status.FinishedAt >= status.StartedAt);
        Assert.Equal(PodSandboxState.SandboxReady, Assert.Single(await ListPodsAsync()).State);
        Assert.Contains($"finished interrupted StopContainer of {id}", Daemon.Log);
        Leaks().Only("processes in cgroups").AssertSameAs(podOnly);
        await WaitForRecoveryAsync(seen);
        await StopRemovePodAsync(pod.Id);
    }

    /// <summary>RemoveContainer never returned: the start finishes it before serving; the container is gone, its pod untouched.</summary>
    private async Task ContainerRemoveAsync(string failpoint)
    {
        var pod = await RunNetworkPodAsync("removing");
        var podOnly = Leaks();
        var id = await RunAsync(pod, Ticker("ticker"));
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 10 });
        await ExpectCrashAsync(failpoint, () => Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id }).ResponseAsync);
        var seen = await RestartUnarmedAsync();
        Assert.Empty(await ListContainersAsync());
        Assert.Equal(PodSandboxState.SandboxReady, Assert.Single(await ListPodsAsync()).State);
        Assert.Contains($"finished interrupted RemoveContainer of {id}", Daemon.Log);
        Leaks().AssertSameAs(podOnly, "daemon fds");
        await WaitForRecoveryAsync(seen);
        await StopRemovePodAsync(pod.Id);
    }

    /// <summary>PullImage died mid-layer: the image is not listed, nothing half-unpacked remains, the next pull works.</summary>
    private async Task ImagePullAsync(string failpoint)
    {
        await Daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = Busybox } });
        var storage = Path.Combine(Daemon.Settings.Root, "storage");
        var layersBefore = Directory.GetDirectories(Path.Combine(storage, "layers")).Length;
        await ExpectCrashAsync(failpoint, () => PullAsync(Busybox));
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(Path.Combine(storage, "tmp")));
        await RecoverAsync();
        Assert.Empty((await Daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(storage, "tmp")));
        Assert.Equal(layersBefore, Directory.GetDirectories(Path.Combine(storage, "layers")).Length);
        await PullAsync(Busybox);
        var pod = await RunNetworkPodAsync("pulled");
        var (status, text) = await RunToExitAsync(pod, BusyboxConfig("echo", "echo", "pulled"));
        Assert.Equal((0, "pulled\n"), (status.ExitCode, text));
        await StopRemovePodAsync(pod.Id);
    }
}
