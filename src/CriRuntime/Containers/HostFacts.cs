namespace CriRuntime.Containers;

/// <summary>
/// What the spec builder needs to know about this host, detected once at start: the daemon's capability bounding
/// set, AppArmor, the cgroup layout (v1 hybrid here: controllers under /sys/fs/cgroup/&lt;name&gt;, an empty
/// cgroup2 at /sys/fs/cgroup/unified), swap accounting and the hugetlb controller.
/// </summary>
internal sealed record HostFacts(IReadOnlyList<string> Capabilities, bool AppArmor, bool CgroupV2, bool SwapAccounting, bool Hugetlb)
{
    public static HostFacts Detect(string cgroupRoot = "/sys/fs/cgroup")
    {
        // cgroup v2 only: the root itself is the unified hierarchy (it has cgroup.controllers).
        var v2 = File.Exists(Path.Combine(cgroupRoot, "cgroup.controllers"));
        var swap = v2
            ? ControllerListed(cgroupRoot, "memory") && SwapOnV2(cgroupRoot)
            : File.Exists(Path.Combine(cgroupRoot, "memory", "memory.memsw.limit_in_bytes"));
        var hugetlb = v2 ? ControllerListed(cgroupRoot, "hugetlb") : Directory.Exists(Path.Combine(cgroupRoot, "hugetlb"));
        return new HostFacts(HostCapabilities.Read(), Directory.Exists("/sys/module/apparmor"), v2, swap, hugetlb);
    }

    private static bool ControllerListed(string root, string controller) =>
        File.ReadAllText(Path.Combine(root, "cgroup.controllers")).Split(' ', StringSplitOptions.TrimEntries).Contains(controller);

    /// <summary>memory.swap.max exists in every non-root cgroup when the kernel accounts swap; look at any child.</summary>
    private static bool SwapOnV2(string root) =>
        Directory.EnumerateDirectories(root).Any(d => File.Exists(Path.Combine(d, "memory.swap.max")));
}
