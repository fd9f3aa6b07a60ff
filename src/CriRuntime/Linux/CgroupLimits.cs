namespace CriRuntime.Linux;

/// <summary>CPU and memory limits of a cgroup; null leaves a setting as it is.</summary>
internal sealed record CgroupLimitValues
{
    public ulong? CpuShares { get; init; }
    public long? CpuQuota { get; init; }
    public ulong? CpuPeriod { get; init; }
    public long? MemoryLimitBytes { get; init; }
}

/// <summary>
/// Writes CPU and memory limits into a cgroup by its OCI cgroupsPath (cgroupfs driver): the v1 controller files
/// (cpu.shares, cpu.cfs_period_us, cpu.cfs_quota_us, memory.limit_in_bytes) or the v2 ones (cpu.weight,
/// cpu.max, memory.max). The root is injectable for tests.
/// </summary>
internal sealed class CgroupLimits(string root = "/sys/fs/cgroup")
{
    public bool IsUnified { get; } = File.Exists(Path.Combine(root, "cgroup.controllers"));

    /// <summary>Applies the limits that are set.</summary>
    /// <exception cref="IOException">The cgroup does not exist or the kernel refused a value (EBUSY: memory above the new limit).</exception>
    public void Apply(string cgroupsPath, CgroupLimitValues limits)
    {
        var relative = cgroupsPath.Trim('/');
        if (relative.Length == 0 || relative.Split('/').Any(p => p is "" or "." or ".."))
        {
            throw new ArgumentException($"invalid cgroups path \"{cgroupsPath}\"", nameof(cgroupsPath));
        }
        if (IsUnified) ApplyV2(Path.Combine(root, relative), limits);
        else ApplyV1(relative, limits);
    }

    private void ApplyV1(string relative, CgroupLimitValues limits)
    {
        var cpu = Path.Combine(root, "cpu", relative);
        if (limits.CpuShares is { } shares) Write(cpu, "cpu.shares", shares.ToString());
        if (limits.CpuPeriod is { } period) Write(cpu, "cpu.cfs_period_us", period.ToString());
        if (limits.CpuQuota is { } quota) Write(cpu, "cpu.cfs_quota_us", quota.ToString());
        if (limits.MemoryLimitBytes is { } memory) Write(Path.Combine(root, "memory", relative), "memory.limit_in_bytes", memory.ToString());
    }

    private static void ApplyV2(string dir, CgroupLimitValues limits)
    {
        if (limits.CpuShares is { } shares) Write(dir, "cpu.weight", WeightOfShares(shares).ToString());
        if (limits.CpuQuota is not null || limits.CpuPeriod is not null)
        {
            var quota = limits.CpuQuota is > 0 ? limits.CpuQuota.Value.ToString() : "max";
            Write(dir, "cpu.max", limits.CpuPeriod is { } p ? $"{quota} {p}" : quota);
        }
        if (limits.MemoryLimitBytes is { } memory) Write(dir, "memory.max", memory > 0 ? memory.ToString() : "max");
    }

    /// <summary>The conversion runc and crun use from v1 shares [2, 262144] to v2 weight [1, 10000].</summary>
    public static ulong WeightOfShares(ulong shares) =>
        shares == 0 ? 0 : 1 + (Math.Clamp(shares, 2, 262144) - 2) * 9999 / 262142;

    private static void Write(string dir, string file, string value)
    {
        var path = Path.Combine(dir, file);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
            RandomAccess.Write(handle, System.Text.Encoding.ASCII.GetBytes(value), 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"write {value} to {path}: {e.Message}", e);
        }
    }
}
