using System.Collections.Concurrent;

namespace CriRuntime.Stats;

/// <summary>
/// CRI usage_nano_cores: the CPU rate since the previous sample of the same pod or container, computed as
/// kubelet's CRI stats provider does (delta usage / delta wall time, in nanocores). The first sample of an id
/// has no rate. Thread-safe; ids of removed objects are forgotten.
/// </summary>
internal sealed class CpuRateTracker
{
    private readonly ConcurrentDictionary<string, Sample> _last = new(StringComparer.Ordinal);

    /// <summary>Records (timestamp ns, cumulative usage ns) for <paramref name="id"/>; returns the rate or null.</summary>
    public ulong? Update(string id, long timestamp, ulong usageNanos)
    {
        var current = new Sample(timestamp, usageNanos);
        ulong? rate = null;
        _last.AddOrUpdate(id, current, (_, previous) =>
        {
            // A concurrent caller may have stored a newer sample: keep the newest and compute against the older.
            if (previous.Timestamp >= timestamp)
            {
                rate = null;
                return previous;
            }
            rate = Rate(previous, current);
            return current;
        });
        return rate;
    }

    /// <summary>The rate between two samples; null when time did not advance or the counter went back (a new cgroup).</summary>
    public static ulong? Rate(Sample previous, Sample current)
    {
        var elapsed = current.Timestamp - previous.Timestamp;
        if (elapsed <= 0 || current.UsageNanos < previous.UsageNanos) return null;
        var used = current.UsageNanos - previous.UsageNanos;
        return (ulong)(used / (decimal)elapsed * 1_000_000_000m);
    }

    public void Forget(string id) => _last.TryRemove(id, out _);

    /// <summary>Drops every id not in <paramref name="live"/> (called with the ids a list just reported).</summary>
    public void ForgetAllBut(IReadOnlySet<string> live)
    {
        foreach (var id in _last.Keys)
        {
            if (!live.Contains(id)) _last.TryRemove(id, out _);
        }
    }

    public int Count => _last.Count;

    internal readonly record struct Sample(long Timestamp, ulong UsageNanos);
}
