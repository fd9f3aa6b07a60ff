using CriRuntime.Containers;
using CriRuntime.Sandboxes;

namespace CriRuntime.Recovery;

/// <summary>
/// At start, finishes the StopPodSandbox, RemovePodSandbox, StopContainer and RemoveContainer calls the previous
/// daemon died in: their records carry the intent (written before the first teardown step), and the same idempotent
/// code paths run again, containers first, then pods. It runs before the socket serves (hosted services start
/// before the server), so no client sees such an object half torn down; without any intent it costs a scan of the
/// in-memory records. An interrupted StopContainer ends with SIGKILL: its grace period ran out with the daemon.
/// </summary>
internal sealed partial class InterruptedOperations(SandboxIndex sandboxes, ContainerIndex containers, SandboxService pods,
    ContainerService containerService, ILogger<InterruptedOperations> logger) : IHostedService
{
    /// <summary>A teardown stuck in a plugin or the kernel must not keep kubelet from the socket for long.</summary>
    private static readonly TimeSpan ServeAfter = TimeSpan.FromSeconds(10);

    private Task? _running;

    /// <summary>Completes when every interrupted call is finished or failed (the orphan sweep waits for it).</summary>
    public Task Completion => _running ?? Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Records still creating are undone by their own recovery, whatever they carry.
        var containerWork = containers.All.Where(c => c.Record is { Intent: not null, State: not ContainerStates.Creating })
            .Select(c => (c.Id, Intent: c.Record.Intent!)).ToList();
        var podWork = sandboxes.All.Where(s => s.Record is { Intent: not null, State: not SandboxStates.Creating })
            .Select(s => (s.Id, Intent: s.Record.Intent!)).ToList();
        if (containerWork.Count == 0 && podWork.Count == 0) return;
        _running = Task.Run(async () =>
        {
            await Task.WhenAll(containerWork.Select(w => FinishAsync("Container", w.Id, w.Intent, () => w.Intent == ContainerIntents.Remove
                ? containerService.RemoveAsync(w.Id, CancellationToken.None)
                : containerService.StopAsync(w.Id, 0, CancellationToken.None))));
            await Task.WhenAll(podWork.Select(w => FinishAsync("PodSandbox", w.Id, w.Intent, () => w.Intent == SandboxIntents.Remove
                ? pods.RemoveAsync(w.Id, CancellationToken.None)
                : pods.StopAsync(w.Id, CancellationToken.None))));
        }, CancellationToken.None);
        try
        {
            await _running.WaitAsync(ServeAfter, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogStillRunning(logger, containerWork.Count, podWork.Count, ServeAfter.TotalSeconds);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        _running?.WaitAsync(cancellationToken) ?? Task.CompletedTask;

    private async Task FinishAsync(string kind, string id, string intent, Func<Task> call)
    {
        var rpc = (intent == ContainerIntents.Remove ? "Remove" : "Stop") + kind;
        try
        {
            await call();
            LogFinished(logger, rpc, id);
        }
        catch (Exception e)
        {
            // The record keeps its intent: the client's repeat, or the next start, tries again.
            LogFailed(logger, e, rpc, id);
        }
    }

    [LoggerMessage(EventId = 9020, Level = LogLevel.Information, Message = "finished interrupted {Rpc} of {Id}")]
    private static partial void LogFinished(ILogger logger, string rpc, string id);

    [LoggerMessage(EventId = 9021, Level = LogLevel.Error, Message = "could not finish interrupted {Rpc} of {Id}; a repeated call or the next start retries it")]
    private static partial void LogFailed(ILogger logger, Exception e, string rpc, string id);

    [LoggerMessage(EventId = 9022, Level = LogLevel.Warning,
        Message = "interrupted calls ({Containers} containers, {Pods} pods) not finished after {Seconds} s; serving meanwhile")]
    private static partial void LogStillRunning(ILogger logger, int containers, int pods, double seconds);
}
