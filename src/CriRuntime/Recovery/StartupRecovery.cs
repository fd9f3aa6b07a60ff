using System.Diagnostics;
using CriRuntime.Configuration;
using CriRuntime.Containers;
using CriRuntime.Linux;
using CriRuntime.Sandboxes;

namespace CriRuntime.Recovery;

/// <summary>
/// The last step of recovery at start, in the background (the socket serves at once): waits for the undo of
/// unfinished pods and containers and for the interrupted Stop/Remove calls (<see cref="InterruptedOperations"/>),
/// then sweeps orphans (<see cref="OrphanSweep"/>) unless the previous daemon
/// shut down cleanly (SIGTERM with nothing half-made writes run_root/clean-shutdown; a crash leaves no marker), and
/// logs "startup recovery finished". A clean shutdown leaves every container running.
/// </summary>
internal sealed partial class StartupRecovery(DaemonOptions options, SandboxIndex sandboxes, ContainerIndex containers,
    SandboxRecovery sandboxRecovery, ContainerRecovery containerRecovery, InterruptedOperations interrupted, OrphanSweep sweep, ILogger<StartupRecovery> logger) : IHostedService
{
    private Task? _running;

    private string Marker => Path.Combine(options.RunRoot, "clean-shutdown");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // From the process start, so the logged figure includes loading the records and building the host.
        var started = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var clean = File.Exists(Marker);
        // Gone before anything changes: a crash from here on must make the next start sweep.
        if (File.Exists(Marker)) File.Delete(Marker);
        // Read now, before the undo deletes the records of unfinished objects whose cgroups may remain.
        var cgroupParents = sandboxes.All.Select(s => s.Record.CgroupsPath).Concat(containers.All.Select(c => c.Record.CgroupsPath))
            .Select(p => Path.GetDirectoryName(p) ?? "/").Where(p => p.Length > 1).Distinct().ToList();
        _running = Task.Run(async () =>
        {
            await Task.WhenAll(containerRecovery.Completion, sandboxRecovery.Completion, interrupted.Completion);
            await MarkDeadPodsNotReadyAsync();
            var removed = clean ? 0 : await sweep.RunAsync(cgroupParents);
            LogFinished(logger, sandboxes.All.Count(), containers.All.Count(), clean ? "clean shutdown, no sweep" : $"swept, {removed} orphans removed",
                (DateTime.UtcNow - started).TotalMilliseconds);
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A ready pod whose pause process died while the daemon was down (killed, OOM) is no longer ready: report it
    /// NOTREADY so kubelet stops and recreates it. Its network stays until that Stop, which tears it down as usual.
    /// </summary>
    private async Task MarkDeadPodsNotReadyAsync()
    {
        foreach (var id in sandboxes.All.Where(s => s.Record.State == SandboxStates.Ready).Select(s => s.Id).ToList())
        {
            using var held = await sandboxes.Locks.AcquireAsync(id);
            if (sandboxes.Get(id) is not { Record.State: SandboxStates.Ready } pod || Processes.IsAlive(pod.Record.PausePid, pod.Record.PauseStartTime)) continue;
            sandboxes.Save(pod with { Record = pod.Record with { State = SandboxStates.NotReady } });
            LogPauseGone(logger, id, pod.Record.PausePid);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_running is not null) await _running.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return; // the sweep outlasted the shutdown timeout: no marker, the next start sweeps
        }
        catch (Exception e)
        {
            LogSweepFailed(logger, e);
            return;
        }
        // Something still half-made (an RPC cut short by the shutdown) means the next start must look everywhere.
        if (sandboxes.All.Any(s => s.Record.State == SandboxStates.Creating || s.Record.Intent is not null)
            || containers.All.Any(c => c.Record.State == ContainerStates.Creating || c.Record.Intent is not null)) return;
        Directory.CreateDirectory(options.RunRoot);
        File.WriteAllText(Marker, "");
    }

    [LoggerMessage(EventId = 9010, Level = LogLevel.Information,
        Message = "startup recovery finished: {Pods} pods, {Containers} containers; {Sweep}; {Milliseconds:F0} ms after the process started")]
    private static partial void LogFinished(ILogger logger, int pods, int containers, string sweep, double milliseconds);

    [LoggerMessage(EventId = 9012, Level = LogLevel.Warning, Message = "pod {Id} is not ready: its pause process {Pid} exited while the daemon was down")]
    private static partial void LogPauseGone(ILogger logger, string id, int pid);

    [LoggerMessage(EventId = 9011, Level = LogLevel.Error, Message = "startup recovery failed; the next start sweeps again")]
    private static partial void LogSweepFailed(ILogger logger, Exception e);
}
