using System.Text.RegularExpressions;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

public partial class ContainerLifecycleTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    [Fact]
    public async Task Container_CreateStartStopRemove_ReportsEachStateAndLeavesNothing()
    {
        var before = LeakCheck.Take(Daemon, cgroupParent: CgroupParent);
        var pod = await RunPodAsync("life");
        var config = BusyboxConfig("web", "sh", "-c", "echo hello; echo oops >&2; exec sleep 1000");
        config.Labels["tier"] = "front";
        var id = await CreateAsync(pod, config);

        var created = await StatusAsync(id);
        Assert.Equal(ContainerState.ContainerCreated, created.State);
        Assert.True(created.CreatedAt > 0);
        Assert.Equal(0, created.StartedAt);
        Assert.Equal(Busybox, created.Image.Image);
        Assert.StartsWith("sha256:", created.ImageId);
        Assert.Equal("front", created.Labels["tier"]);
        Assert.Equal(Path.Combine(pod.Config.LogDirectory, "web/0.log"), created.LogPath);

        await Daemon.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id });
        var running = await StatusAsync(id);
        Assert.Equal(ContainerState.ContainerRunning, running.State);
        Assert.True(running.StartedAt >= running.CreatedAt);
        var log = await WaitForLogAsync(running.LogPath, "oops");
        Assert.Matches(CriLogLine(), log.Split('\n')[0]);
        Assert.Contains(" stdout F hello\n", log);
        Assert.Contains(" stderr F oops\n", log);
        var listed = Assert.Single((await Daemon.Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = pod.Id } })).Containers);
        Assert.Equal(id, listed.Id);
        Assert.Equal(ContainerState.ContainerRunning, listed.State);

        // The pod shares its PID namespace (POD): sleep is not PID 1 and dies of the SIGTERM.
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 10 });
        var exited = await StatusAsync(id);
        Assert.Equal(ContainerState.ContainerExited, exited.State);
        Assert.Equal(128 + 15, exited.ExitCode);
        Assert.Equal("Error", exited.Reason);
        Assert.True(exited.FinishedAt >= exited.StartedAt);
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 1 });

        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        var e = await Assert.ThrowsAsync<RpcException>(() => StatusAsync(id));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        await StopRemovePodAsync(pod.Id);
        LeakCheck.Take(Daemon, cgroupParent: CgroupParent).AssertSameAs(before, "daemon fds");
    }

    [Fact]
    public async Task ExitCodes_AndReasons_ReportedAsKubeletExpects()
    {
        var pod = await RunPodAsync("exits");
        var (ok, _) = await RunToExitAsync(pod, BusyboxConfig("ok", "true"));
        Assert.Equal((0, "Completed"), (ok.ExitCode, ok.Reason));
        var (failed, _) = await RunToExitAsync(pod, BusyboxConfig("failed", "sh", "-c", "exit 3"));
        Assert.Equal((3, "Error"), (failed.ExitCode, failed.Reason));
        Assert.True(failed.FinishedAt >= failed.StartedAt && failed.StartedAt > 0);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task Log_LongLineWithoutNewline_WrittenAsPartialLines()
    {
        var pod = await RunPodAsync("partial");
        var id = await RunAsync(pod, BusyboxConfig("long", "sh", "-c", "head -c 20000 /dev/zero | tr '\\0' x; sleep 1000"));
        var status = await StatusAsync(id);
        var log = await WaitForLogAsync(status.LogPath, "x");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (LogText(log).Length < 20000 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            log = await File.ReadAllTextAsync(status.LogPath);
        }
        Assert.Contains(" stdout P ", log);
        Assert.Equal(new string('x', 20000), LogText(log));
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task Stop_ProcessIgnoringSigterm_KilledAfterTimeout()
    {
        var pod = await RunPodAsync("stubborn");
        var id = await RunAsync(pod, BusyboxConfig("stubborn", "sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"));
        await WaitForLogAsync((await StatusAsync(id)).LogPath, "ready");
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 2 });
        var elapsed = started.Elapsed;
        var status = await StatusAsync(id);
        Assert.Equal(ContainerState.ContainerExited, status.State);
        Assert.Equal(137, status.ExitCode);
        Assert.InRange(elapsed.TotalSeconds, 1.9, 10);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task Stop_ImageStopSignal_SentFirstAndReported()
    {
        await PullAsync(Images.Usr1);
        var pod = await RunPodAsync("usr1");
        var config = BusyboxConfig("usr1", "sh", "-c", "trap 'echo got-usr1; exit 0' USR1; echo ready; while :; do sleep 0.1; done");
        config.Image.Image = Images.Usr1;
        var id = await RunAsync(pod, config);
        var status = await StatusAsync(id);
        Assert.Equal(Signal.Sigusr1, status.StopSignal);
        await WaitForLogAsync(status.LogPath, "ready");
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 10 });
        status = await StatusAsync(id);
        Assert.Equal((0, "Completed"), (status.ExitCode, status.Reason));
        Assert.Contains("got-usr1", await File.ReadAllTextAsync(status.LogPath));
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task Container_SurvivesDaemonKill_StillRunningListedAndLogging()
    {
        var pod = await RunPodAsync("survivor");
        var running = await RunAsync(pod, BusyboxConfig("ticker", "sh", "-c", "while :; do echo tick; sleep 0.1; done"));
        var logPath = (await StatusAsync(running)).LogPath;
        await WaitForLogAsync(logPath, "tick");
        var shortLived = await RunAsync(pod, BusyboxConfig("short", "sh", "-c", "sleep 1; exit 7"));

        // The short-lived container exits while the daemon is down.
        await Daemon.KillAsync();
        await Task.Delay(1500);
        await Daemon.RestartAsync();

        var status = await StatusAsync(running);
        Assert.Equal(ContainerState.ContainerRunning, status.State);
        Assert.Contains((await Daemon.Runtime.ListContainersAsync(new ListContainersRequest())).Containers, c => c.Id == running && c.State == ContainerState.ContainerRunning);
        var lines = File.ReadAllLines(logPath).Length;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (File.ReadAllLines(logPath).Length <= lines && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(File.ReadAllLines(logPath).Length > lines, "the container stopped logging after the daemon restart");
        var exited = await WaitExitedAsync(shortLived);
        Assert.Equal(7, exited.ExitCode);
        await StopRemovePodAsync(pod.Id);
        Assert.Empty((await Daemon.Runtime.ListContainersAsync(new ListContainersRequest())).Containers);
    }

    [Fact]
    public async Task BadRequests_ClearStatus_NothingLeftBehind()
    {
        var pod = await RunPodAsync("bad");
        var before = LeakCheck.Take(Daemon, cgroupParent: CgroupParent);
        var unknownPod = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(("0123456789abcdef", pod.Config), BusyboxConfig("x", "true")));
        Assert.Equal(StatusCode.NotFound, unknownPod.StatusCode);
        var unknownImage = BusyboxConfig("noimage", "true");
        unknownImage.Image.Image = $"{Registry.Host}/nothing:here";
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, unknownImage))).StatusCode);
        var noCommand = BusyboxConfig("bad-user", "true");
        noCommand.Linux.SecurityContext.RunAsUsername = "no-such-user";
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, noCommand))).StatusCode);
        LeakCheck.Take(Daemon, cgroupParent: CgroupParent).AssertSameAs(before, "daemon fds");

        var first = await CreateAsync(pod, BusyboxConfig("twice", "sleep", "1000"));
        var duplicate = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, BusyboxConfig("twice", "sleep", "1000")));
        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
        Assert.Contains(first, duplicate.Status.Detail);

        // As with CRI-O, the runtime's create fails (runc and our launcher look the program up before start).
        var missing = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, BusyboxConfig("missing", "/no/such/binary")));
        Output.WriteLine("create error: " + missing.Status.Detail);
        Assert.Contains("/no/such/binary", missing.Status.Detail);
        Assert.Contains("no such file", missing.Status.Detail, StringComparison.OrdinalIgnoreCase);

        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = first });
        LeakCheck.Take(Daemon, cgroupParent: CgroupParent).AssertSameAs(before, "daemon fds");
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task StartContainer_RuntimeStartFails_ErrorTextAndStatusStartError()
    {
        var pod = await RunPodAsync("startfail");
        var before = LeakCheck.Take(Daemon, cgroupParent: CgroupParent);
        var id = await CreateAsync(pod, BusyboxConfig("frozen", "sleep", "1000"));
        // A created container's init waits on the runtime's exec fifo for `start`. Frozen (cgroup freezer), it
        // cannot take the signal: runc and our launcher both refuse a paused container.
        // Neither runtime can report a failing execve after start (both exec after the fifo), so this is the way
        // a real `start` fails.
        using var info = System.Text.Json.JsonDocument.Parse((await Daemon.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id, Verbose = true })).Info["info"]);
        var pid = info.RootElement.GetProperty("pid").GetInt32();
        var freezer = "/sys/fs/cgroup/freezer" + info.RootElement.GetProperty("cgroupsPath").GetString();
        Assert.Contains(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllLines(Path.Combine(freezer, "cgroup.procs")));
        File.WriteAllText(Path.Combine(freezer, "freezer.state"), "FROZEN");
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (File.ReadAllText(Path.Combine(freezer, "freezer.state")).Trim() != "FROZEN" && DateTime.UtcNow < deadline) await Task.Delay(10);
            var e = await Assert.ThrowsAsync<RpcException>(async () => await Daemon.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }));
            Output.WriteLine("start error: " + e.Status.Detail);
            Assert.Contains("cannot start a container in the paused state", e.Status.Detail);

            var status = await StatusAsync(id);
            Assert.Equal(ContainerState.ContainerExited, status.State);
            Assert.Equal("StartError", status.Reason);
            Assert.Contains("cannot start a container in the paused state", status.Message);
            Assert.NotEqual(0, status.ExitCode);
        }
        finally
        {
            File.WriteAllText(Path.Combine(freezer, "freezer.state"), "THAWED");
        }
        // A container reported exited has no process left (containerd kills the task of a failed start too).
        var gone = DateTime.UtcNow.AddSeconds(10);
        while (Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < gone) await Task.Delay(20);
        Assert.False(Directory.Exists($"/proc/{pid}"), $"the init {pid} of a container that failed to start is still running");
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        LeakCheck.Take(Daemon, cgroupParent: CgroupParent).AssertSameAs(before, "daemon fds");
        await StopRemovePodAsync(pod.Id);
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) (stdout|stderr) [FP] ")]
    private static partial Regex CriLogLine();
}

/// <summary>The same lifecycle tests with runc as the pod's runtime handler.</summary>
public sealed class RuncContainerLifecycleTests(ITestOutputHelper output, ContainerImages images) : ContainerLifecycleTests(output, images)
{
    protected override string Handler => "runc";
}
