namespace CriRuntime.Stats;

/// <summary>
/// Reads CPU, memory and process counters of a cgroup by its OCI linux.cgroupsPath ("/criruntime/&lt;id&gt;",
/// "kubepods/pod123/&lt;id&gt;"; cgroupfs driver) from cgroup v1 (one hierarchy per controller under the root) or
/// v2 (the unified hierarchy mounted at the root). The root is injectable so tests can use fixture files.
/// </summary>
internal sealed class CgroupStatsReader
{
    /// <summary>v1 reports "no limit" as PAGE_COUNTER_MAX pages; anything this large is no limit.</summary>
    private const ulong UnlimitedThreshold = 1UL << 62;

    /// <summary>cpuacct.stat counts USER_HZ ticks, which is 100 on Linux on every architecture.</summary>
    private const ulong NanosPerUserHzTick = 10_000_000;

    private static readonly string[] V1MemoryKeys = ["total_inactive_file", "total_rss", "total_cache", "total_swap", "total_pgfault", "total_pgmajfault"];
    private static readonly string[] V2MemoryKeys = ["inactive_file", "anon", "file", "pgfault", "pgmajfault"];
    private static readonly string[] V1CpuKeys = ["user", "system"];
    private static readonly string[] V2CpuKeys = ["usage_usec", "user_usec", "system_usec"];

    private readonly string _root;
    private readonly TimeProvider _time;

    public CgroupStatsReader(string root = "/sys/fs/cgroup", TimeProvider? time = null)
    {
        _root = root;
        _time = time ?? TimeProvider.System;
        IsUnified = File.Exists(Path.Combine(root, "cgroup.controllers"));
    }

    /// <summary>True when the root is a cgroup v2 (unified) mount.</summary>
    public bool IsUnified { get; }

    /// <summary>The sample, or null when the cgroup does not exist (the pod or container is gone).</summary>
    public CgroupStats? Read(string cgroupsPath)
    {
        if (Relative(cgroupsPath) is not { } relative) return null;
        return IsUnified ? ReadV2(relative) : ReadV1(relative);
    }

    /// <summary>The cgroup's directory in the hierarchy of <paramref name="controller"/> (ignored on v2).</summary>
    public string? DirectoryOf(string cgroupsPath, string controller) =>
        Relative(cgroupsPath) is not { } relative ? null
        : IsUnified ? Path.Combine(_root, relative) : Path.Combine(_root, controller, relative);

    private CgroupStats? ReadV1(string relative)
    {
        var memoryDir = Path.Combine(_root, "memory", relative);
        var cpuDir = Path.Combine(_root, "cpuacct", relative);
        if (!Directory.Exists(memoryDir) && !Directory.Exists(cpuDir)) return null;
        var timestamp = Now();
        Span<ulong?> cpu = stackalloc ulong?[V1CpuKeys.Length];
        CgroupFile.ReadKeyed(Path.Combine(cpuDir, "cpuacct.stat"), V1CpuKeys, cpu);
        Span<ulong?> memory = stackalloc ulong?[V1MemoryKeys.Length];
        CgroupFile.ReadKeyed(Path.Combine(memoryDir, "memory.stat"), V1MemoryKeys, memory);
        var usage = CgroupFile.ReadValue(Path.Combine(memoryDir, "memory.usage_in_bytes"));
        var limit = CgroupFile.ReadValue(Path.Combine(memoryDir, "memory.limit_in_bytes"));
        return WithMemory(new CgroupStats
        {
            Timestamp = timestamp,
            CpuUsageNanos = CgroupFile.ReadValue(Path.Combine(cpuDir, "cpuacct.usage")),
            CpuUserNanos = cpu[0] * NanosPerUserHzTick,
            CpuSystemNanos = cpu[1] * NanosPerUserHzTick,
            RssBytes = memory[1],
            CacheBytes = memory[2],
            SwapBytes = memory[3],
            PageFaults = memory[4],
            MajorPageFaults = memory[5],
            ProcessCount = ProcessCount(Path.Combine(_root, "pids", relative), memoryDir),
        }, usage, memory[0], limit);
    }

    private CgroupStats? ReadV2(string relative)
    {
        var dir = Path.Combine(_root, relative);
        if (!Directory.Exists(dir)) return null;
        var timestamp = Now();
        Span<ulong?> cpu = stackalloc ulong?[V2CpuKeys.Length];
        CgroupFile.ReadKeyed(Path.Combine(dir, "cpu.stat"), V2CpuKeys, cpu);
        Span<ulong?> memory = stackalloc ulong?[V2MemoryKeys.Length];
        CgroupFile.ReadKeyed(Path.Combine(dir, "memory.stat"), V2MemoryKeys, memory);
        var usage = CgroupFile.ReadValue(Path.Combine(dir, "memory.current"));
        var limit = CgroupFile.ReadValue(Path.Combine(dir, "memory.max"));
        var swap = CgroupFile.ReadValue(Path.Combine(dir, "memory.swap.current"));
        return WithMemory(new CgroupStats
        {
            Timestamp = timestamp,
            CpuUsageNanos = cpu[0] * 1000,
            CpuUserNanos = cpu[1] * 1000,
            CpuSystemNanos = cpu[2] * 1000,
            RssBytes = memory[1],
            CacheBytes = memory[2],
            SwapBytes = swap,
            PageFaults = memory[3],
            MajorPageFaults = memory[4],
            ProcessCount = ProcessCount(dir, dir),
        }, usage, memory[0], limit);
    }

    /// <summary>The working set and availability as kubelet (and cAdvisor) compute them.</summary>
    private static CgroupStats WithMemory(CgroupStats stats, ulong? usage, ulong? inactiveFile, ulong? limit)
    {
        ulong? workingSet = usage is { } u ? (inactiveFile is { } i && i < u ? u - i : inactiveFile is null ? u : 0) : null;
        var hasLimit = limit is { } l && l < UnlimitedThreshold;
        return stats with
        {
            MemoryUsageBytes = usage,
            WorkingSetBytes = workingSet,
            MemoryLimitBytes = hasLimit ? limit : null,
            AvailableBytes = hasLimit && workingSet is { } w ? (limit!.Value > w ? limit.Value - w : 0) : null,
        };
    }

    // pids.current where the pids controller is there; otherwise the processes listed in the cgroup.
    private static ulong? ProcessCount(string pidsDir, string fallbackDir) =>
        CgroupFile.ReadValue(Path.Combine(pidsDir, "pids.current")) ?? CgroupFile.CountLines(Path.Combine(fallbackDir, "cgroup.procs"));

    private long Now() => (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;

    // Never let a path escape the cgroup root.
    private static string? Relative(string cgroupsPath)
    {
        var relative = cgroupsPath.Trim('/');
        if (relative.Length == 0) return null;
        foreach (var part in relative.Split('/'))
        {
            if (part is "" or "." or "..") return null;
        }
        return relative;
    }
}
