using System.Collections.Concurrent;
using CriRuntime.Storage;

namespace CriRuntime.Stats;

/// <summary>Bytes allocated and inodes used under a directory tree, measured at <see cref="MeasuredAt"/>.</summary>
internal sealed record DirectorySize(ulong Bytes, ulong Inodes, DateTimeOffset MeasuredAt);

/// <summary>
/// Disk usage of directory trees (a container's writable layer) with a cache: a size younger than the freshness
/// window is returned as is, so listing stats of 100 containers every 10 s does not walk 100 trees per call; at
/// most one walk per path runs at a time (concurrent callers share it).
/// </summary>
internal sealed class DirectoryUsage(TimeSpan freshness, TimeProvider? time = null)
{
    public static readonly TimeSpan DefaultFreshness = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, DirectorySize> _sizes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<DirectorySize>>> _walks = new(StringComparer.Ordinal);

    public DirectoryUsage() : this(DefaultFreshness)
    {
    }

    private long _walkCount;

    /// <summary>Number of tree walks done (what the cache saves; for tests and benchmarks).</summary>
    public long Walks => Interlocked.Read(ref _walkCount);

    /// <summary>The size of <paramref name="path"/>: cached while fresh, otherwise measured (once for all concurrent callers).</summary>
    public async Task<DirectorySize> GetAsync(string path, CancellationToken cancellationToken)
    {
        if (_sizes.TryGetValue(path, out var cached) && _time.GetUtcNow() - cached.MeasuredAt < freshness) return cached;
        var walk = _walks.GetOrAdd(path, p => new Lazy<Task<DirectorySize>>(() => Task.Run(() => WalkOnce(p), CancellationToken.None)));
        return await walk.Value.WaitAsync(cancellationToken);
    }

    /// <summary>Forgets a path (its container was removed).</summary>
    public void Forget(string path) => _sizes.TryRemove(path, out _);

    // The walk leaves the in-flight table itself, so a caller that gave up never leaves a finished walk behind
    // for a later caller to mistake for a fresh one.
    private DirectorySize WalkOnce(string path)
    {
        try
        {
            return Walk(path);
        }
        finally
        {
            _walks.TryRemove(path, out _);
        }
    }

    private DirectorySize Walk(string path)
    {
        Interlocked.Increment(ref _walkCount);
        var (bytes, inodes) = Directory.Exists(path) ? DiskUsage.Measure(path) : (0UL, 0UL);
        var size = new DirectorySize(bytes, inodes, _time.GetUtcNow());
        _sizes[path] = size;
        return size;
    }
}
