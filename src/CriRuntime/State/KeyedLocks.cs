namespace CriRuntime.State;

/// <summary>
/// One async lock per key (a pod, a container, an image reference), so slow work on one object never blocks another.
/// Entries are dropped when no one holds or waits for them.
/// </summary>
internal sealed class KeyedLocks
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async Task<IDisposable> AcquireAsync(string key, CancellationToken cancellationToken = default)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries[key] = entry;
            }
            entry.References++;
        }
        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Release(key, entry, held: false);
            throw;
        }
        return new Holder(this, key, entry);
    }

    private void Release(string key, Entry entry, bool held)
    {
        if (held) entry.Semaphore.Release();
        lock (_entries)
        {
            if (--entry.References == 0) _entries.Remove(key);
        }
    }

    private sealed class Entry
    {
        public readonly SemaphoreSlim Semaphore = new(1, 1);
        public int References;
    }

    private sealed class Holder(KeyedLocks owner, string key, Entry entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Release(key, entry, held: true);
        }
    }
}
