using System.Collections.Concurrent;

namespace CriRuntime.Runtime;

/// <summary>
/// Turns exit files written by the monitor into events (inotify through FileSystemWatcher): waiting for a
/// container to exit never polls.
/// </summary>
internal sealed class ExitWatcher : IDisposable
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);
    private readonly FileSystemWatcher _watcher;
    private readonly string _directory;

    /// <summary>Raised (on a thread-pool thread) for every exit file that appears, waited for or not.</summary>
    public event Action<string>? Exited;

    public string Directory => _directory;

    public ExitWatcher(IContainerMonitor monitor)
    {
        _directory = monitor.ExitDirectory;
        System.IO.Directory.CreateDirectory(_directory);
        _watcher = new FileSystemWatcher(_directory) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite };
        _watcher.Created += (_, e) => Signal(e.Name);
        _watcher.Renamed += (_, e) => Signal(e.Name);
        _watcher.Changed += (_, e) => Signal(e.Name);
        // The inotify queue overflowed: events were lost, so look at the disk for everyone waiting.
        _watcher.Error += (_, _) => Recheck();
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>Completes when the exit file for <paramref name="id"/> exists (at once if it already does).</summary>
    public async Task WaitAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiter = _waiters.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            // Subscribe first, then look: an exit between the two is seen either way.
            if (File.Exists(Path.Combine(_directory, id))) return;
            await waiter.Task.WaitAsync(timeout, cancellationToken);
        }
        finally
        {
            _waiters.TryRemove(KeyValuePair.Create(id, waiter));
        }
    }

    /// <summary>The exit code the monitor recorded, or null if the container has not exited.</summary>
    public int? ExitCode(string id)
    {
        try
        {
            return int.TryParse(File.ReadAllText(Path.Combine(_directory, id)).Trim(), out var code) ? code : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private void Recheck()
    {
        foreach (var (id, waiter) in _waiters)
        {
            if (File.Exists(Path.Combine(_directory, id))) waiter.TrySetResult();
        }
        foreach (var file in System.IO.Directory.EnumerateFiles(_directory)) Exited?.Invoke(Path.GetFileName(file));
    }

    private void Signal(string? name)
    {
        if (name is null) return;
        if (_waiters.TryGetValue(name, out var waiter)) waiter.TrySetResult();
        Exited?.Invoke(name);
    }

    public void Dispose() => _watcher.Dispose();
}
