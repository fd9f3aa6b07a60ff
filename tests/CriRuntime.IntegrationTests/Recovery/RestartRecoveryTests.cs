using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Containers;
using CriRuntime.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Recovery;

public sealed class RestartRecoveryTests(ITestOutputHelper output, ContainerImages images) : RecoveryTestBase(output, images)
{
    [Fact]
    public async Task TwentyPods_SurviveDaemonKill_SameIdsStatesIpsAndLogsAfterRestart()
    {
        var before = Leaks();
        var pods = new List<((string Id, PodSandboxConfig Config) Pod, string Container)>();
        for (var i = 0; i < 20; i++)
        {
            var pod = await RunNetworkPodAsync($"survivor-{i}");
            pods.Add((pod, await RunAsync(pod, Ticker("ticker"))));
        }
        var shortLived = await RunAsync(pods[0].Pod, BusyboxConfig("short", "sh", "-c", "sleep 1; exit 7"));
        var podsBefore = (await ListPodsAsync()).ToDictionary(p => p.Id);
        var statusesBefore = new Dictionary<string, ContainerStatus>();
        foreach (var (_, c) in pods) statusesBefore[c] = await StatusAsync(c);
        var ipsBefore = new Dictionary<string, string>();
        foreach (var (pod, _) in pods) ipsBefore[pod.Id] = (await Daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = pod.Id })).Status.Network.Ip;

        await Daemon.KillAsync();
        await Task.Delay(1500); // the short-lived container exits while the daemon is down
        await RecoverAsync();

        var podsAfter = (await ListPodsAsync()).ToDictionary(p => p.Id);
        Assert.Equal(podsBefore.Keys.Order(), podsAfter.Keys.Order());
        Assert.All(podsAfter.Values, p => Assert.Equal(PodSandboxState.SandboxReady, p.State));
        foreach (var (pod, container) in pods)
        {
            var ip = (await Daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = pod.Id })).Status.Network.Ip;
            Assert.Equal(ipsBefore[pod.Id], ip);
            var status = await StatusAsync(container);
            Assert.Equal(ContainerState.ContainerRunning, status.State);
            var was = statusesBefore[container];
            Assert.Equal((was.CreatedAt, was.StartedAt, was.LogPath), (status.CreatedAt, status.StartedAt, status.LogPath));
        }
        await Task.WhenAll(pods.Select(p => StatusAsync(p.Container)).Select(async s => await AssertLogGrowsAsync((await s).LogPath)));
        var exited = await WaitExitedAsync(shortLived);
        Assert.Equal((7, "Error"), (exited.ExitCode, exited.Reason));
        // Exec reaches every recovered container; pod stats read the recovered pods' cgroups.
        await Task.WhenAll(pods.Select(async p =>
        {
            var exec = await Daemon.Runtime.ExecSyncAsync(new ExecSyncRequest { ContainerId = p.Container, Cmd = { "cat", "/proc/1/comm" }, Timeout = 20 });
            Assert.Equal(0, exec.ExitCode);
            Assert.False(exec.Stdout.IsEmpty, "ExecSync in " + p.Container + " printed nothing");
        }));
        var stats = (await Daemon.Runtime.ListPodSandboxStatsAsync(new ListPodSandboxStatsRequest())).Stats;
        Assert.Equal(podsBefore.Keys.Order(), stats.Select(s => s.Attributes.Id).Order());
        Assert.All(stats, s => Assert.True(s.Linux.Cpu.UsageCoreNanoSeconds.Value > 0 && s.Linux.Memory.WorkingSetBytes.Value > 0, s.Attributes.Id));

        foreach (var (pod, _) in pods) await StopRemovePodAsync(pod.Id);
        Leaks().AssertSameAs(before, "daemon fds");
    }

    /// <summary>
    /// After a kill -9 and restart, a running container is attachable again (its output flows; detaching leaves it
    /// running), its stats are read from its recovered cgroup, and a container that had exited before the crash
    /// reports exactly the same exit code, reason and timestamps.
    /// </summary>
    [Fact]
    public async Task StartAfterCrash_RecoveredContainers_AttachableWithStatsAndExitedStatusKept()
    {
        var before = Leaks();
        var pod = await RunNetworkPodAsync("recovered");
        var running = await RunAsync(pod, Ticker("ticker"));
        var done = await RunAsync(pod, BusyboxConfig("done", "sh", "-c", "exit 3"));
        var exitedBefore = await WaitExitedAsync(done);
        var runningBefore = await StatusAsync(running);

        await Daemon.KillAsync();
        await RecoverAsync();

        var exitedAfter = await StatusAsync(done);
        Assert.Equal(ContainerState.ContainerExited, exitedAfter.State);
        Assert.Equal((3, "Error"), (exitedBefore.ExitCode, exitedBefore.Reason));
        Assert.Equal((exitedBefore.ExitCode, exitedBefore.Reason, exitedBefore.Message), (exitedAfter.ExitCode, exitedAfter.Reason, exitedAfter.Message));
        Assert.Equal((exitedBefore.CreatedAt, exitedBefore.StartedAt, exitedBefore.FinishedAt), (exitedAfter.CreatedAt, exitedAfter.StartedAt, exitedAfter.FinishedAt));
        var runningAfter = await StatusAsync(running);
        Assert.Equal(ContainerState.ContainerRunning, runningAfter.State);
        Assert.Equal((runningBefore.CreatedAt, runningBefore.StartedAt), (runningAfter.CreatedAt, runningAfter.StartedAt));

        Assert.Contains("tick", await AttachOutputAsync(running, "tick"));
        Assert.Equal(ContainerState.ContainerRunning, (await StatusAsync(running)).State);
        await AssertLogGrowsAsync(runningAfter.LogPath); // still running after the detach

        var first = (await Daemon.Runtime.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = running })).Stats;
        await AssertLogGrowsAsync(runningAfter.LogPath);
        var listed = (await Daemon.Runtime.ListContainerStatsAsync(new ListContainerStatsRequest())).Stats.Single(s => s.Attributes.Id == running);
        Assert.Equal(running, first.Attributes.Id);
        Assert.True(first.Cpu.UsageCoreNanoSeconds.Value > 0, "no CPU time read from the recovered cgroup");
        Assert.True(listed.Cpu.UsageCoreNanoSeconds.Value >= first.Cpu.UsageCoreNanoSeconds.Value && listed.Cpu.Timestamp > first.Cpu.Timestamp,
            $"cpu {first.Cpu.UsageCoreNanoSeconds.Value} -> {listed.Cpu.UsageCoreNanoSeconds.Value} ns went back");
        Assert.All(new[] { first, listed }, s => Assert.InRange(s.Memory.WorkingSetBytes.Value, 1UL, 512UL * 1024 * 1024));

        await StopRemovePodAsync(pod.Id);
        Leaks().AssertSameAs(before, "daemon fds");
    }

    /// <summary>Attaches to stdout over WebSocket (v5) until <paramref name="text"/> arrived, then detaches.</summary>
    private async Task<string> AttachOutputAsync(string id, string text)
    {
        var url = (await Daemon.Runtime.AttachAsync(new AttachRequest { ContainerId = id, Stdout = true, Stderr = true })).Url;
        using var ws = new System.Net.WebSockets.ClientWebSocket();
        ws.Options.AddSubProtocol("v5.channel.k8s.io");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await ws.ConnectAsync(new Uri(url.Replace("http://", "ws://")), timeout.Token);
        var seen = "";
        var buffer = new byte[4096];
        while (!seen.Contains(text, StringComparison.Ordinal))
        {
            var r = await ws.ReceiveAsync(buffer, timeout.Token);
            if (r.Count > 1 && buffer[0] == 1) seen += System.Text.Encoding.UTF8.GetString(buffer, 1, r.Count - 1);
        }
        ws.Abort();
        return seen;
    }

    [Fact]
    public async Task CleanShutdown_LeavesContainersRunning_NextStartSkipsTheSweep()
    {
        var pod = await RunNetworkPodAsync("clean");
        var id = await RunAsync(pod, Ticker("ticker"));
        await Daemon.StopAsync();
        var seen = Daemon.LogCount(RecoveryFinished);
        await Daemon.RestartAsync();
        await Daemon.WaitForLogAsync(RecoveryFinished, seen, TimeSpan.FromSeconds(30));
        Assert.Contains("clean shutdown, no sweep", Daemon.Log[Daemon.Log.LastIndexOf(RecoveryFinished, StringComparison.Ordinal)..]);
        var status = await StatusAsync(id);
        Assert.Equal(ContainerState.ContainerRunning, status.State);
        await AssertLogGrowsAsync(status.LogPath);
        await StopRemovePodAsync(pod.Id);
    }

    /// <summary>
    /// Objects named by ids no record owns, under each of our roots, are removed at the start after a crash; what
    /// is not ours (other names, other runtimes' state) stays.
    /// </summary>
    [Fact]
    public async Task StartAfterCrash_OrphansUnderOurRoots_SweptOthersKept()
    {
        var before = Leaks();
        var s = Daemon.Settings;
        var orphan = new string('a', 64);
        var notOurs = Path.Combine(s.RunRoot, "netns", "not-an-id");
        var pin = Path.Combine(s.RunRoot, "netns", orphan);
        var bundle = Path.Combine(s.RunRoot, "containers", orphan);
        var cgroup = $"/sys/fs/cgroup/memory{CgroupParent}/{orphan}";
        // Named like ours but nothing else of ours names it: another daemon's under a shared parent. Left alone.
        var foreignCgroup = $"/sys/fs/cgroup/memory{CgroupParent}/{new string('b', 64)}";
        var orphanPaths = new[]
        {
            pin, Path.Combine(s.RunRoot, "sandboxes", orphan), bundle, Path.Combine(s.Root, "storage", "containers", orphan),
            Path.Combine(s.RunRoot, "exits", orphan), Path.Combine(s.Root, "logs", orphan), Path.Combine(s.RunRoot, "attach", orphan),
        };
        // A live pod gives the sweep our cgroup parent to look under.
        var pod = await RunNetworkPodAsync("owner");
        foreach (var path in orphanPaths.Skip(1)) Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(pin, "");
        HostCommand.Check("mount", "--bind", pin, pin);
        Directory.CreateDirectory(Path.Combine(s.RunRoot, "sandboxes", orphan, "shm"));
        HostCommand.Check("mount", "-t", "tmpfs", "shm", Path.Combine(s.RunRoot, "sandboxes", orphan, "shm"));
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        HostCommand.Check("mount", "-t", "tmpfs", "rootfs", Path.Combine(bundle, "rootfs"));
        Directory.CreateDirectory(Path.Combine(s.Root, "storage", "containers", orphan, "upper"));
        File.WriteAllText(Path.Combine(s.RunRoot, "exits", orphan), "0");
        Directory.CreateDirectory(Path.Combine(s.Root, "logs", orphan));
        File.CreateSymbolicLink(Path.Combine(s.RunRoot, "attach", orphan), bundle); // as conmon links it
        File.WriteAllText(notOurs, "");
        Directory.CreateDirectory(cgroup);
        Directory.CreateDirectory(foreignCgroup);

        await Daemon.KillAsync();
        await RecoverAsync();

        Assert.All(orphanPaths, p => Assert.False(Path.Exists(p) || new FileInfo(p).LinkTarget is not null, p + " survived the sweep"));
        Assert.False(Directory.Exists(cgroup));
        Assert.True(Directory.Exists(foreignCgroup));
        Directory.Delete(foreignCgroup);
        Assert.True(File.Exists(notOurs));
        File.Delete(notOurs);
        Assert.Equal(PodSandboxState.SandboxReady, Assert.Single(await ListPodsAsync()).State);
        await StopRemovePodAsync(pod.Id);
        Leaks().AssertSameAs(before, "daemon fds");
    }

    /// <summary>
    /// A running container whose record is lost (the worst case of a crash between a host change and its record):
    /// the sweep deletes it through the runtime, its conmon exits, and its overlay mount, bundle, writable layer,
    /// cgroup, exit file and attach link go; the pod and its other container are untouched.
    /// </summary>
    [Fact]
    public async Task StartAfterCrash_RunningContainerWithoutRecord_ProcessMonitorMountAndStateSwept()
    {
        var pod = await RunNetworkPodAsync("owner");
        var before = Leaks();
        var kept = await RunAsync(pod, Ticker("kept"));
        var lost = await RunAsync(pod, Ticker("lost"));
        var keptLog = (await StatusAsync(kept)).LogPath;
        await WaitForLogAsync((await StatusAsync(lost)).LogPath, "tick");
        await Daemon.KillAsync();
        File.Delete(Path.Combine(Daemon.Settings.Root, "containers", lost + ".json"));
        await RecoverAsync();

        Assert.Contains("removed orphaned monitor of " + lost, Daemon.Log);
        Assert.Equal(kept, Assert.Single(await ListContainersAsync()).Id);
        await AssertLogGrowsAsync(keptLog);
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = kept });
        Leaks().AssertSameAs(before, "daemon fds");
        await StopRemovePodAsync(pod.Id);
    }

    /// <summary>A pod whose pause died while the daemon was down is reported NOTREADY (kubelet recreates it) and removable.</summary>
    [Fact]
    public async Task StartAfterCrash_PauseDiedDuringDowntime_PodNotReadyAndRemovable()
    {
        var before = Leaks();
        var alive = await RunNetworkPodAsync("alive");
        var dead = await RunNetworkPodAsync("dead");
        var info = (await Daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = dead.Id, Verbose = true })).Info["info"];
        var pausePid = System.Text.Json.JsonDocument.Parse(info).RootElement.GetProperty("pid").GetInt32();
        await Daemon.KillAsync();
        CriDaemon.Signal(pausePid, 9);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Directory.Exists($"/proc/{pausePid}") && DateTime.UtcNow < deadline) await Task.Delay(20);
        await RecoverAsync();

        var states = (await ListPodsAsync()).ToDictionary(p => p.Id, p => p.State);
        Assert.Equal(PodSandboxState.SandboxReady, states[alive.Id]);
        Assert.Equal(PodSandboxState.SandboxNotready, states[dead.Id]);
        await StopRemovePodAsync(dead.Id);
        await StopRemovePodAsync(alive.Id);
        Leaks().AssertSameAs(before, "daemon fds");
    }
}
