namespace CriRuntime.Containers;

/// <summary>
/// At start, undoes containers whose creation the previous daemon did not finish (records still `creating`,
/// docs/STATE.md) and records exits the monitors wrote while the daemon was down. Runs in the background so the
/// socket answers at once; such containers are never listed meanwhile.
/// </summary>
internal sealed partial class ContainerRecovery(ContainerIndex index, ContainerService containers, ILogger<ContainerRecovery> logger) : IHostedService
{
    private Task? _running;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var unfinished = index.All.Where(c => c.Record.State == ContainerStates.Creating).Select(c => c.Id).ToList();
        _running = Task.Run(() => RecoverAsync(unfinished), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Completes when the undo and the exit reconciliation are done (the orphan sweep waits for it).</summary>
    public Task Completion => _running ?? Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) =>
        _running?.WaitAsync(cancellationToken) ?? Task.CompletedTask;

    private async Task RecoverAsync(List<string> unfinished)
    {
        foreach (var id in unfinished)
        {
            try
            {
                await containers.RemoveAsync(id, CancellationToken.None);
                LogUndone(logger, id);
            }
            catch (Exception e)
            {
                LogFailed(logger, e, id);
            }
        }
        await containers.ReconcileStartsAsync();
        await containers.RecordExitsAsync();
    }

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "undid container {Id}, whose creation was interrupted by a daemon exit")]
    private static partial void LogUndone(ILogger logger, string id);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Error, Message = "could not undo interrupted container {Id}; RemoveContainer retries it")]
    private static partial void LogFailed(ILogger logger, Exception e, string id);
}
