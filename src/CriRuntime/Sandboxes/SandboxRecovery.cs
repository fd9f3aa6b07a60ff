namespace CriRuntime.Sandboxes;

/// <summary>
/// At start, undoes pods whose creation the previous daemon did not finish (records still `creating`,
/// docs/STATE.md): CNI DEL with the persisted network list, runtime delete, netns, shm, cgroup, directories,
/// record. Runs in the background so the socket answers at once; such pods are never listed meanwhile.
/// </summary>
internal sealed partial class SandboxRecovery(SandboxIndex index, SandboxService sandboxes, ILogger<SandboxRecovery> logger) : IHostedService
{
    private Task? _running;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var unfinished = index.All.Where(s => s.Record.State == SandboxStates.Creating).Select(s => s.Id).ToList();
        if (unfinished.Count > 0) _running = Task.Run(() => UndoAsync(unfinished), CancellationToken.None);
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
