namespace CriRuntime.Stats;

/// <summary>
/// One sample of a cgroup's counters, in the units CRI reports (nanoseconds, bytes). A null field is one the
/// kernel does not expose here (a controller not mounted, an older kernel).
/// </summary>
internal sealed record CgroupStats
{
    /// <summary>Unix time in nanoseconds when the sample was read.</summary>
    public long Timestamp { get; init; }
    public ulong? CpuUsageNanos { get; init; }
    public ulong? CpuUserNanos { get; init; }
    public ulong? CpuSystemNanos { get; init; }
    public ulong? MemoryUsageBytes { get; init; }

    /// <summary>Usage minus inactive file pages, floored at 0: what kubelet's eviction and the OOM killer care about.</summary>
    public ulong? WorkingSetBytes { get; init; }
    public ulong? RssBytes { get; init; }
    public ulong? CacheBytes { get; init; }
    public ulong? SwapBytes { get; init; }
    public ulong? PageFaults { get; init; }
    public ulong? MajorPageFaults { get; init; }

    /// <summary>The memory limit; null when unlimited.</summary>
    public ulong? MemoryLimitBytes { get; init; }

    /// <summary>Limit minus working set, floored at 0; null when there is no limit (as kubelet expects).</summary>
    public ulong? AvailableBytes { get; init; }
    public ulong? ProcessCount { get; init; }
}
