using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// linux.resources from the CRI LinuxContainerResources: zero means unset, as in containerd. Swap (only where the
/// kernel accounts it): the CRI value when set, else the memory limit, so the container does not swap by default.
/// Hugepage limits without a hugetlb controller are skipped with a warning (containerd's default tolerance).
/// </summary>
internal static class ContainerResources
{
    public static SpecResources Build(LinuxContainerResources? r, ContainerSpecInput input, bool privileged, List<string> warnings) =>
        Limits(r, new ResourceHost(input.CgroupV2, input.SwapAvailable, input.HugetlbAvailable), warnings) with
        {
            Devices = DeviceRules(input.HostDevices, privileged),
            Pids = input.PidsLimit is { } p ? new SpecPids(p) : null,
        };

    /// <summary>
    /// cpu, memory (and swap), hugepages and unified from the CRI resources: what CreateContainer writes and what
    /// UpdateContainerResources applies to a running container (runc's update --resources object).
    /// </summary>
    public static SpecResources Limits(LinuxContainerResources? r, ResourceHost host, List<string> warnings)
    {
        r ??= new LinuxContainerResources();
        if (r.CpuPeriod < 0 || r.CpuShares < 0 || r.MemoryLimitInBytes < 0)
        {
            throw new InvalidArgumentException("cpu_period, cpu_shares and memory_limit_in_bytes must not be negative");
        }
        var cpu = r.CpuPeriod != 0 || r.CpuQuota != 0 || r.CpuShares != 0 || r.CpusetCpus.Length > 0 || r.CpusetMems.Length > 0
            ? new SpecCpu
            {
                Period = r.CpuPeriod == 0 ? null : (ulong)r.CpuPeriod,
                Quota = r.CpuQuota == 0 ? null : r.CpuQuota,
                Shares = r.CpuShares == 0 ? null : (ulong)r.CpuShares,
                Cpus = r.CpusetCpus.Length == 0 ? null : r.CpusetCpus,
                Mems = r.CpusetMems.Length == 0 ? null : r.CpusetMems,
            }
            : null;
        long? swap = !host.SwapAvailable ? null
            : r.MemorySwapLimitInBytes != 0 ? r.MemorySwapLimitInBytes
            : r.MemoryLimitInBytes != 0 ? r.MemoryLimitInBytes : null;
        var memory = r.MemoryLimitInBytes != 0 || swap is not null
            ? new SpecMemory { Limit = r.MemoryLimitInBytes == 0 ? null : r.MemoryLimitInBytes, Swap = swap }
            : null;
        List<SpecHugepageLimit>? hugepages = r.HugepageLimits.Count == 0 ? null
            : [.. r.HugepageLimits.Select(h => new SpecHugepageLimit(h.PageSize, h.Limit))];
        if (hugepages is not null && !host.HugetlbAvailable)
        {
            warnings.Add("hugepage limits ignored: the host has no hugetlb cgroup controller");
            hugepages = null;
        }
        if (r.Unified.Count > 0 && !host.CgroupV2)
        {
            throw new InvalidArgumentException("unified cgroup resources need cgroup v2; this host uses cgroup v1");
        }
        return new SpecResources
        {
            Cpu = cpu,
            Memory = memory,
            HugepageLimits = hugepages,
            Unified = r.Unified.Count == 0 ? null : new Dictionary<string, string>(r.Unified),
        };
    }

    /// <summary>Deny everything, then allow the requested devices (runc adds its standard /dev/null etc. itself).</summary>
    private static List<SpecDeviceRule> DeviceRules(IReadOnlyList<HostDevice> devices, bool privileged)
    {
        if (privileged) return [new SpecDeviceRule(true, "rwm")];
        var rules = new List<SpecDeviceRule> { new(false, "rwm") };
        rules.AddRange(devices.Select(d => new SpecDeviceRule(true, d.Permissions) { Type = d.Type, Major = d.Major, Minor = d.Minor }));
        return rules;
    }
}

/// <summary>What the resource translation needs to know of the host's cgroups.</summary>
internal sealed record ResourceHost(bool CgroupV2, bool SwapAvailable, bool HugetlbAvailable);
