using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Linux;
using CriRuntime.Sandboxes;
using CriRuntime.Recovery;

namespace CriRuntime.Containers;

// StartContainer, StopContainer, RemoveContainer and the pod-wide versions the pod lifecycle calls.
internal sealed partial class ContainerService
{
    private const int SigKill = 9;
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExitFileWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MonitorExitWait = TimeSpan.FromSeconds(10);

    /// <summary>Starts a created container. A process that cannot start leaves it exited with the runtime's error.</summary>
    public async Task StartAsync(string id, CancellationToken cancellationToken)
    {
        using var held = await _index.Locks.AcquireAsync(id, cancellationToken);
        var container = Refreshed(Require(id));
        if (container.Record.State != ContainerStates.Created)
        {
            throw new FailedPreconditionException($"container {id} is {container.Record.State}, not created");
        }
        try
        {
            await _runtime.StartAsync(_handlers.Resolve(container.Record.Handler), id, cancellationToken);
        }
        catch (OperationFailedException e)
        {
            // The runtime's text is the user's answer (a missing binary, a bad cwd): keep it in the status too.
            SaveIfChanged(container with { Record = container.Record with { State = ContainerStates.Exited, FinishedAt = NowNanos(), ExitCode = 128, Reason = "StartError", Message = e.Message } });
            // A container reported exited must not keep a process (the init still waits on the runtime's fifo):
            // kill it as containerd does. No wait: a frozen init takes the SIGKILL only when thawed.
            Processes.Signal(container.Record.Pid, container.Record.PidStartTime, SigKill);
            throw;
        }
        Failpoint.Hit("container.start.after-runtime-start");
        var running = container with { Record = container.Record with { State = ContainerStates.Running, StartedAt = NowNanos() } };
        _index.Save(running);
        Publish(running, ContainerEventType.ContainerStartedEvent);
        LogStarted(_logger, id);
    }

    /// <summary>
    /// Sends the stop signal, waits up to <paramref name="timeoutSeconds"/>, then SIGKILL; returns as soon as the
    /// process is gone (pidfd, not polling). A container already stopped is fine.
    /// </summary>
    public async Task StopAsync(string id, long timeoutSeconds, CancellationToken cancellationToken)
    {
        using var held = await _index.Locks.AcquireAsync(id, cancellationToken);
        await StopHeldAsync(Require(id), timeoutSeconds, cancellationToken);
    }

    /// <summary>StopAsync's work, for a caller that holds the container's lock.</summary>
    private async Task StopHeldAsync(Container current, long timeoutSeconds, CancellationToken cancellationToken)
    {
        var id = current.Id;
        var container = Refreshed(current);
        if (container.Record.State is not (ContainerStates.Running or ContainerStates.Created))
        {
            SaveIfChanged(WithoutStopIntent(container));
            return;
        }
        container = WithIntent(container, ContainerIntents.Stop);
        var r = container.Record;
        if (timeoutSeconds > 0 && Processes.Signal(r.Pid, r.PidStartTime, r.StopSignal))
        {
            if (!await Processes.WaitForExitAsync(r.Pid, r.PidStartTime, TimeSpan.FromSeconds(timeoutSeconds)))
            {
                LogEscalated(_logger, id, timeoutSeconds);
            }
        }
        Processes.Signal(r.Pid, r.PidStartTime, SigKill);
        if (!await Processes.WaitForExitAsync(r.Pid, r.PidStartTime, KillWait))
        {
            throw new OperationFailedException($"StopContainer: process {r.Pid} of {id} survived SIGKILL");
        }
        Failpoint.Hit("container.stop.after-kill");
        await WaitForExitFileAsync(container, cancellationToken);
        SaveIfChanged(WithoutStopIntent(Refreshed(container)));
        LogStopped(_logger, id);
    }

    /// <summary>Stops the container if needed and removes everything it had on the host. A container already gone is OK.</summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        using var held = await _index.Locks.AcquireAsync(id, cancellationToken);
        if (_index.Get(id) is not { } container) return;
        container = WithIntent(container, ContainerIntents.Remove);
        // As containerd and CRI-O: a live container is stopped first, so its exit is recorded and announced
        // (STOPPED with the exit code) before DELETED; the runtime's delete --force below would kill it silently.
        if (container.Record.State is ContainerStates.Running or ContainerStates.Created)
        {
            try
            {
                await StopHeldAsync(container, 0, cancellationToken);
            }
            catch (OperationFailedException e)
            {
                LogStopBeforeRemoveFailed(_logger, e, id);
            }
            container = _index.Get(id) ?? container;
        }
        var last = Refreshed(container);
        SaveIfChanged(last);
        await TearDownAsync(container, deleteRecord: true);
        // A half-created container (a daemon that died mid-create) was never announced.
        if (container.Record.State != ContainerStates.Creating) Publish(last, ContainerEventType.ContainerDeletedEvent);
        LogRemoved(_logger, id);
    }

    /// <summary>
    /// Persists that a Stop or Remove is under way, before its first teardown step (the caller holds the lock): a
    /// daemon that dies from here on finishes the call at its next start (Recovery/InterruptedOperations). A
    /// Remove's intent is never weakened to a Stop's; a container still being created is undone by its own record.
    /// </summary>
    private Container WithIntent(Container container, string intent)
    {
        var r = container.Record;
        if (r.State == ContainerStates.Creating || r.Intent == intent || r.Intent == ContainerIntents.Remove) return container;
        var marked = container with { Record = r with { Intent = intent } };
        _index.Save(marked);
        return marked;
    }

    /// <summary>The container with a finished Stop's intent cleared; the same instance when there is none.</summary>
    private static Container WithoutStopIntent(Container container) =>
        container.Record.Intent == ContainerIntents.Stop ? container with { Record = container.Record with { Intent = null } } : container;

    public async Task StopAllAsync(string sandboxId, CancellationToken cancellationToken) =>
        await Task.WhenAll(_index.OfSandbox(sandboxId).Select(c => StopAsync(c.Id, 0, cancellationToken)));

    public async Task RemoveAllAsync(string sandboxId, CancellationToken cancellationToken) =>
        await Task.WhenAll(_index.OfSandbox(sandboxId).Select(c => RemoveAsync(c.Id, cancellationToken)));

    /// <summary>
    /// Undoes every host object of a container, in any state (also a half-created one): runtime state and
    /// processes, monitor files, overlay mount, writable layer, bundle, cgroup, our own log. Idempotent.
    /// </summary>
    private async Task TearDownAsync(Container container, bool deleteRecord)
    {
        var r = container.Record;
        await _runtime.DeleteAsync(_handlers.Resolve(r.Handler), r.Id, CancellationToken.None);
        Failpoint.Hit("container.remove.after-runtime-delete");
        // conmon writes the exit file and unlinks its attach link as it exits: let it finish first. A record that
        // died creating has no monitor pid yet; conmon's own pid file names it.
        var (monitorPid, monitorStart) = r.MonitorPid > 0 ? (r.MonitorPid, r.MonitorStartTime) : MonitorProcesses.FromPidFile(r.BundleDir, r.Id, _monitor.ExitDirectory);
        if (!await Processes.WaitForExitAsync(monitorPid, monitorStart, MonitorExitWait)) LogMonitorLingers(_logger, r.Id, monitorPid);
        _monitor.Cleanup(r.Id);
        ContainerRootfs.Remove(r.LayerDir, RootfsOf(r));
        Failpoint.Hit("container.remove.after-rootfs");
        if (Directory.Exists(r.BundleDir)) Directory.Delete(r.BundleDir, recursive: true);
        Cgroups.RemoveEverywhere(r.CgroupsPath);
        if (r.LogPath.StartsWith(OwnLogDir(r.SandboxId) + "/", StringComparison.Ordinal))
        {
            if (File.Exists(r.LogPath)) File.Delete(r.LogPath);
            if (Directory.Exists(OwnLogDir(r.SandboxId)) && !Directory.EnumerateFileSystemEntries(OwnLogDir(r.SandboxId)).Any()) Directory.Delete(OwnLogDir(r.SandboxId));
        }
        if (_layerPins.TryRemove(r.Id, out var pin)) pin.Dispose();
        ForgetStats(r);
        if (!deleteRecord) return;
        Failpoint.Hit("container.remove.before-record-delete");
        _index.Delete(r.Id);
    }

    private async Task WaitForExitFileAsync(Container container, CancellationToken cancellationToken)
    {
        try
        {
            await _exits.WaitAsync(container.Id, ExitFileWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new OperationFailedException($"the monitor of {container.Id} recorded no exit code within {ExitFileWait.TotalSeconds} s of the process exit");
        }
    }

    /// <summary>
    /// A created container the runtime reports running was started by a StartContainer whose daemon died before
    /// saving it: record it running (start time = now, the closest we know), or it would be "created" forever.
    /// </summary>
    public async Task ReconcileStartsAsync()
    {
        foreach (var id in _index.All.Where(c => c.Record.State == ContainerStates.Created).Select(c => c.Id).ToList())
        {
            try
            {
                using var held = await _index.Locks.AcquireAsync(id);
                if (_index.Get(id) is not { Record.State: ContainerStates.Created } container) continue;
                var state = await _runtime.StateAsync(_handlers.Resolve(container.Record.Handler), id, CancellationToken.None);
                if (state?.Status != "running") continue;
                _index.Save(container with { Record = container.Record with { State = ContainerStates.Running, StartedAt = NowNanos() } });
                LogStartReconciled(_logger, id);
            }
            catch (Exception e)
            {
                LogExitFailed(_logger, e, id);
            }
        }
    }

    /// <summary>Persists the exits monitors recorded while nobody watched (the daemon was down).</summary>
    public async Task RecordExitsAsync()
    {
        foreach (var c in _index.All.Where(c => c.Record.State is ContainerStates.Running or ContainerStates.Created).ToList())
        {
            await OnExitAsync(c.Id);
        }
    }

    /// <summary>The exit watcher saw an exit file: persist the exit as soon as the container's lock is free.</summary>
    private async Task OnExitAsync(string id)
    {
        if (_index.Get(id) is null) return;
        try
        {
            using var held = await _index.Locks.AcquireAsync(id);
            if (_index.Get(id) is not { } container) return;
            SaveIfChanged(Refreshed(container));
        }
        catch (Exception e)
        {
            LogExitFailed(_logger, e, id);
        }
    }

    /// <summary>
    /// The container with what the monitor's exit file says applied: a created or running container whose exit
    /// file exists has exited (code, time, reason; OOMKilled when the kernel's OOM killer struck its cgroup).
    /// Pure apart from reading the exit file and the cgroup; the same instance when nothing changed.
    /// </summary>
    private Container Refreshed(Container container)
    {
        var r = container.Record;
        if (r.State is not (ContainerStates.Running or ContainerStates.Created)) return container;
        if (_exits.ExitCode(r.Id) is not { } code) return container;
        var finished = File.GetLastWriteTimeUtc(Path.Combine(_exits.Directory, r.Id));
        var reason = Cgroups.OomKills(r.CgroupsPath) > 0 ? "OOMKilled" : code == 0 ? "Completed" : "Error";
        return container with
        {
            Record = r with
            {
                State = ContainerStates.Exited,
                ExitCode = code,
                // File times tick with the kernel's coarse clock (a few ms), and a quick process can exit before
                // the start call returned: never report an exit before the start.
                FinishedAt = Math.Max((new DateTimeOffset(finished) - DateTimeOffset.UnixEpoch).Ticks * 100, r.StartedAt),
                Reason = reason,
            },
        };
    }

    /// <summary>
    /// Persists a container the caller changed (under its lock), and publishes its exit when this save is the one
    /// that records it: every exit (Stop, its own, a failed start) is persisted once, so announced once.
    /// </summary>
    private void SaveIfChanged(Container container)
    {
        var before = _index.Get(container.Id);
        if (ReferenceEquals(before, container)) return;
        _index.Save(container);
        if (before?.Record.State is ContainerStates.Running or ContainerStates.Created && container.Record.State == ContainerStates.Exited)
        {
            Publish(container, ContainerEventType.ContainerStoppedEvent);
        }
    }

    /// <summary>
    /// A lifecycle event, after the change is persisted, with what kubelet's evented PLEG rebuilds the pod from (as
    /// containerd 1.7): the pod's status and the statuses of all its containers, this one as the event saw it (absent
    /// from its own DELETED). Read from memory without the other containers' or the pod's locks: a caller holds this
    /// container's lock, and the pod lifecycle takes a pod's lock before its containers' (no lock-order cycle).
    /// </summary>
    private void Publish(Container container, ContainerEventType type)
    {
        var others = OfPod(container.Record.SandboxId).Where(c => c.Id != container.Id);
        var containers = type == ContainerEventType.ContainerDeletedEvent ? others : others.Append(container);
        var e = new ContainerEventResponse
        {
            ContainerId = container.Id,
            ContainerEventType = type,
            CreatedAt = NowNanos(),
            ContainersStatuses = { containers.OrderBy(c => c.Record.CreatedAt).Select(ContainerStatusBuilder.Build) },
        };
        if (_sandboxes.Get(container.Record.SandboxId) is { } sandbox) e.PodSandboxStatus = SandboxService.StatusOf(sandbox);
        _events.Publish(e);
    }

    private Container Require(string id) =>
        _index.Get(id) is { Record.State: not ContainerStates.Creating } c ? c : throw new NotFoundException($"container \"{id}\" not found");

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "container {Id} started")]
    private static partial void LogStarted(ILogger logger, string id);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "container {Id} stopped")]
    private static partial void LogStopped(ILogger logger, string id);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "container {Id} removed")]
    private static partial void LogRemoved(ILogger logger, string id);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Information, Message = "container {Id} still running {Timeout} s after its stop signal; sending SIGKILL")]
    private static partial void LogEscalated(ILogger logger, string id, long timeout);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "conmon {MonitorPid} of container {Id} is still running after the container was deleted")]
    private static partial void LogMonitorLingers(ILogger logger, string id, int monitorPid);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "container {Id} is running: its StartContainer was interrupted by a daemon exit after the runtime started it")]
    private static partial void LogStartReconciled(ILogger logger, string id);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "RemoveContainer {Id}: stopping it first failed; deleting it anyway")]
    private static partial void LogStopBeforeRemoveFailed(ILogger logger, Exception e, string id);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Error, Message = "recording the exit of container {Id} failed")]
    private static partial void LogExitFailed(ILogger logger, Exception e, string id);
}
