using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Linux;
using CriRuntime.Network;
using CriRuntime.Recovery;

namespace CriRuntime.Sandboxes;

// StopPodSandbox and RemovePodSandbox: both idempotent (CRI), both safe to repeat after a partial failure.
internal sealed partial class SandboxService
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MonitorExitWait = TimeSpan.FromSeconds(10);

    /// <summary>Stops the pod's containers, tears down its network and stops the pause. A pod already gone is OK.</summary>
    public async Task StopAsync(string id, CancellationToken cancellationToken)
    {
        using var held = await index.Locks.AcquireAsync(id, cancellationToken);
        if (index.Get(id) is not { } sandbox) return;
        sandbox = WithIntent(sandbox, SandboxIntents.Stop);
        await containers.StopAllAsync(id, cancellationToken);
        Failpoint.Hit("pod.stop.after-containers");
        var r = sandbox.Record;

        // The network and the pause are independent once the netns is pinned: tear them down together. CNI DEL
        // gets the live netns, as containerd and CRI-O pass it: most of its time (~60 of ~75 ms with bridge) is
        // the synchronous veth deletion inside the netns. Dropping the pin first and running DEL without a netns
        // measured 23 ms (the kernel then deletes the veth asynchronously), but plugins that clean up inside the
        // netns (e.g. a DHCP release) would lose that, so the faithful order stays.
        var network = TimedAsync("CNI DEL", id, TearDownNetworkAsync(sandbox, cancellationToken));
        var pause = TimedAsync("stop pause", id, StopPauseAsync(sandbox, cancellationToken));
        await Task.WhenAll(network, pause);
        Failpoint.Hit("pod.stop.after-teardown");
        if (r.ShmPath is { } shm) Mounts.UnmountIfMounted(shm);
        if (r.PauseImage is not null) Mounts.UnmountIfMounted(Path.Combine(r.Dir, SandboxRecord.RootfsDir));

        // A Remove that called this Stop is still under way: its intent stays until the record goes.
        var intent = r.Intent == SandboxIntents.Remove ? SandboxIntents.Remove : null;
        var stopped = sandbox with { Record = r with { State = SandboxStates.NotReady, NetworkTornDown = true, Intent = intent } };
        index.Save(stopped);
        // Only the stop that ended a ready pod tells: a repeated Stop, or the undo of an unfinished creation, does not.
        if (r.State == SandboxStates.Ready) Publish(stopped, ContainerEventType.ContainerStoppedEvent);
        LogStopped(logger, id);
    }

    /// <summary>Stops the pod if needed and removes everything it had on the host. A pod already gone is OK.</summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        if (index.Get(id) is not { } before) return;
        using (await index.Locks.AcquireAsync(id, cancellationToken))
        {
            if (index.Get(id) is { } current) WithIntent(current, SandboxIntents.Remove);
        }
        if (before.Record.State != SandboxStates.NotReady || !before.Record.NetworkTornDown)
        {
            await StopAsync(id, cancellationToken);
        }
        using var held = await index.Locks.AcquireAsync(id, cancellationToken);
        if (index.Get(id) is not { } sandbox) return;
        var r = sandbox.Record;
        await containers.RemoveAllAsync(id, cancellationToken);
        Failpoint.Hit("pod.remove.after-containers");
        await runtime.DeleteAsync(handlers.Resolve(r.Handler), id, cancellationToken);
        Failpoint.Hit("pod.remove.after-runtime-delete");
        // conmon writes the exit file and unlinks its attach link as it exits: let it finish before cleaning up.
        // A pod that died creating has no monitor pid in its record yet; conmon's own pid file names it.
        var (monitorPid, monitorStart) = r.MonitorPid > 0 ? (r.MonitorPid, r.MonitorStartTime) : MonitorProcesses.FromPidFile(r.Dir, id, monitor.ExitDirectory);
        if (!await Processes.WaitForExitAsync(monitorPid, monitorStart, MonitorExitWait)) LogMonitorLingers(logger, id, monitorPid);
        monitor.Cleanup(id);
        if (r.ShmPath is { } shm) Mounts.UnmountIfMounted(shm);
        if (r.PauseImage is not null) Mounts.UnmountIfMounted(Path.Combine(r.Dir, SandboxRecord.RootfsDir));
        if (r.NetnsPath is { } pin) NetworkNamespace.RemovePin(pin);
        Cgroups.RemoveEverywhere(r.CgroupsPath);
        DeleteDirectory(r.Dir);
        var status = StatusOf(sandbox);
        Failpoint.Hit("pod.remove.before-record-delete");
        index.Delete(id);
        pauseImage.Release(id);
        if (before.Record.State != SandboxStates.Creating) Publish(status, ContainerEventType.ContainerDeletedEvent);
        LogRemoved(logger, id);
    }

    /// <summary>
    /// Persists that a Stop or Remove is under way, before its first teardown step (the caller holds the pod's
    /// lock): a daemon that dies from here on finishes the call at its next start (Recovery/InterruptedOperations).
    /// A Remove's intent is never weakened to a Stop's; a pod still being created is undone by its own record.
    /// </summary>
    private Sandbox WithIntent(Sandbox sandbox, string intent)
    {
        var r = sandbox.Record;
        if (r.State == SandboxStates.Creating || r.Intent == intent || r.Intent == SandboxIntents.Remove) return sandbox;
        var marked = sandbox with { Record = r with { Intent = intent } };
        index.Save(marked);
        return marked;
    }

    private async Task TearDownNetworkAsync(Sandbox sandbox, CancellationToken cancellationToken)
    {
        var r = sandbox.Record;
        if (r.NetnsPath is null || r.NetworkTornDown || r.CniConfig is null) return;
        var list = CniNetworkList.Parse(r.CniConfig, "the pod's record");
        var pod = FullPodInfo(sandbox);
        try
        {
            await network.DelAsync(list, pod, r.CniResult, cancellationToken);
        }
        catch (OperationFailedException e)
        {
            throw new OperationFailedException($"StopPodSandbox: CNI DEL failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// SIGTERM, wait for the pause to exit, then SIGKILL; a pause already gone is fine. The pause is its PID
    /// namespace's init, which the kernel shields from signals it has no handler for: a pod stopped right after
    /// it started may not have installed its SIGTERM handler yet, and that SIGTERM would be dropped. So SIGTERM
    /// only when the handler is there; otherwise (and after a short grace) SIGKILL, which always works. The exit
    /// is seen on a pidfd, not conmon's exit file, which conmon writes only after syncing the log.
    /// </summary>
    private async Task StopPauseAsync(Sandbox sandbox, CancellationToken cancellationToken)
    {
        var r = sandbox.Record;
        if (!Processes.IsAlive(r.PausePid, r.PauseStartTime)) return;
        var handler = handlers.Resolve(r.Handler);
        if (Processes.CatchesSignal(r.PausePid, 15))
        {
            await runtime.KillAsync(handler, r.Id, "TERM", cancellationToken);
            if (await Processes.WaitForExitAsync(r.PausePid, r.PauseStartTime, StopGrace)) return;
            LogKill(logger, r.Id);
        }
        await runtime.KillAsync(handler, r.Id, "KILL", cancellationToken);
        if (!await Processes.WaitForExitAsync(r.PausePid, r.PauseStartTime, KillWait))
        {
            throw new OperationFailedException($"StopPodSandbox: pause process {r.PausePid} of {r.Id} survived SIGKILL");
        }
    }

    private async Task TimedAsync(string what, string id, Task task)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await task;
        LogTimed(logger, what, id, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    [LoggerMessage(EventId = 5007, Level = LogLevel.Debug, Message = "StopPodSandbox: \"{What}\" of {Id} took {Milliseconds:F1} ms")]
    private static partial void LogTimed(ILogger logger, string what, string id, double milliseconds);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "conmon {MonitorPid} of pod {Id} is still running after its pause exited")]
    private static partial void LogMonitorLingers(ILogger logger, string id, int monitorPid);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "pod {Id} stopped")]
    private static partial void LogStopped(ILogger logger, string id);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "pod {Id} removed")]
    private static partial void LogRemoved(ILogger logger, string id);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "pause of {Id} ignored SIGTERM; sending SIGKILL")]
    private static partial void LogKill(ILogger logger, string id);
}
