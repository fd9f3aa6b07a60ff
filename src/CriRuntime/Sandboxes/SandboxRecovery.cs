using CriRuntime.Network;

namespace CriRuntime.Sandboxes;

/// <summary>
/// At start, undoes pods whose creation the previous daemon did not finish (records still `creating`,
/// docs/STATE.md): CNI DEL with the persisted network list, runtime delete, netns, shm, cgroup, directories,
/// record. Then releases CNI allocations no pod owns (<see cref="CniNetwork.CollectGarbageAsync"/>). Runs in the
/// background so the socket answers at once; unfinished pods are never listed meanwhile.
/// </summary>
internal sealed partial class SandboxRecovery(
    SandboxIndex index, SandboxService sandboxes, PauseImage pauseImage, CniNetwork network, ILogger<SandboxRecovery> logger) : IHostedService
{
    private Task? _running;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Pods running from the pause image hold it again, before the socket serves a RemoveImage.
        foreach (var s in index.All)
        {
            if (s.Record.PauseImage is { } image) pauseImage.Reacquire(s.Id, image);
        }
        var unfinished = index.All.Where(s => s.Record.State == SandboxStates.Creating).Select(s => s.Id).ToList();
        _running = Task.Run(async () =>
        {
            await UndoAsync(unfinished);
            // After the undo: what those pods held is released by their DEL, and what is left has no owner.
            await network.CollectGarbageAsync(() => index.All.Select(s => s.Id).ToHashSet(StringComparer.Ordinal), CancellationToken.None);
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Completes when the undo is done (the orphan sweep waits for it).</summary>
    public Task Completion => _running ?? Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) =>
        _running?.WaitAsync(cancellationToken) ?? Task.CompletedTask;

    private async Task UndoAsync(List<string> ids)
    {
        foreach (var id in ids)
        {
            try
            {
                await sandboxes.RemoveAsync(id, CancellationToken.None);
                LogUndone(logger, id);
            }
            catch (Exception e)
            {
                LogFailed(logger, e, id);
            }
        }
    }

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "undid pod {Id}, whose creation was interrupted by a daemon exit")]
    private static partial void LogUndone(ILogger logger, string id);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Error, Message = "could not undo interrupted pod {Id}; RemovePodSandbox retries it")]
    private static partial void LogFailed(ILogger logger, Exception e, string id);
}
