using CriRuntime.Errors;

namespace CriRuntime.Sandboxes;

/// <summary>
/// The named steps of a multi-step change. Each step that changes the host registers its undo; on failure the
/// undos run in reverse and the error names the step that failed.
/// </summary>
internal sealed partial class Rollback(string operation, ILogger logger)
{
    private readonly List<(string Step, Func<Task> Undo)> _undos = [];

    /// <summary>Runs a step; any exception becomes an <see cref="OperationFailedException"/> naming it.</summary>
    public async Task<T> StepAsync<T>(string step, Func<Task<T>> action)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var result = await action();
            LogStep(logger, operation, step, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return result;
        }
        catch (CriException e) when (e is not OperationFailedException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new OperationFailedException($"{operation}: step \"{step}\" failed: {e.Message}", e);
        }
    }

    public Task StepAsync(string step, Func<Task> action) => StepAsync(step, async () => { await action(); return true; });

    public void OnUndo(string step, Func<Task> undo)
    {
        lock (_undos) _undos.Add((step, undo));
    }

    public void OnUndo(string step, Action undo) => OnUndo(step, () => { undo(); return Task.CompletedTask; });

    /// <summary>Runs every registered undo, newest first; an undo that fails is logged and the rest still run.</summary>
    public async Task UndoAsync()
    {
        List<(string Step, Func<Task> Undo)> undos;
        lock (_undos) undos = [.. _undos];
        for (var i = undos.Count - 1; i >= 0; i--)
        {
            try
            {
                await undos[i].Undo();
            }
            catch (Exception e)
            {
                LogUndoFailed(logger, e, operation, undos[i].Step);
            }
        }
    }

    [LoggerMessage(EventId = 5302, Level = LogLevel.Debug, Message = "{Operation}: step \"{Step}\" took {Milliseconds:F1} ms")]
    private static partial void LogStep(ILogger logger, string operation, string step, double milliseconds);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Error, Message = "{Operation}: undoing step \"{Step}\" failed")]
    private static partial void LogUndoFailed(ILogger logger, Exception e, string operation, string step);
}
