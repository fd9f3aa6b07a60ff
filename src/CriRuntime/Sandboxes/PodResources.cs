using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Linux;
using CriRuntime.Stats;

namespace CriRuntime.Sandboxes;

/// <summary>
/// UpdatePodSandboxResources. CRI: kubelet calls it after it resized the pod-level cgroup, best effort; the
/// runtime brings what it owns in line. We write the sum of the pod's resources and its overhead into the pod
/// cgroup (the one <see cref="PodStats.PodCgroupOf"/> reads), which is a no-op when kubelet already did.
/// </summary>
internal sealed class PodResources(SandboxService sandboxes, CgroupLimits limits)
{
    /// <exception cref="NotFoundException">No pod has that id.</exception>
    /// <exception cref="OperationFailedException">The kernel refused a value (e.g. a memory limit below current usage).</exception>
    public void Update(string id, LinuxContainerResources? resources, LinuxContainerResources? overhead)
    {
        var pod = sandboxes.Get(id);
        if (resources is null && overhead is null) return;
        var values = Combine(resources ?? new LinuxContainerResources(), overhead ?? new LinuxContainerResources());
        try
        {
            limits.Apply(PodStats.PodCgroupOf(pod.Record), values);
        }
        catch (IOException e)
        {
            throw new OperationFailedException($"update resources of pod sandbox \"{id}\": {e.Message}", e);
        }
    }

    /// <summary>
    /// The pod's limits: resources plus overhead. An unset (0) memory limit or quota in the resources means
    /// unlimited, which overhead cannot make limited.
    /// </summary>
    public static CgroupLimitValues Combine(LinuxContainerResources resources, LinuxContainerResources overhead)
    {
        var shares = resources.CpuShares + overhead.CpuShares;
        var period = resources.CpuPeriod > 0 ? resources.CpuPeriod : overhead.CpuPeriod;
        long? quota = resources.CpuQuota > 0
            ? resources.CpuQuota + (overhead.CpuQuota > 0 ? ScaleQuota(overhead.CpuQuota, overhead.CpuPeriod, period) : 0)
            : resources.CpuQuota < 0 ? -1 : null;
        long? memory = resources.MemoryLimitInBytes > 0 ? resources.MemoryLimitInBytes + Math.Max(0, overhead.MemoryLimitInBytes) : null;
        return new CgroupLimitValues
        {
            CpuShares = shares > 0 ? (ulong)shares : null,
            CpuPeriod = period > 0 ? (ulong)period : null,
            CpuQuota = quota,
            MemoryLimitBytes = memory,
        };
    }

    // Overhead quota expressed against the resources' period, so the two add up.
    private static long ScaleQuota(long quota, long fromPeriod, long toPeriod) =>
        fromPeriod > 0 && toPeriod > 0 && fromPeriod != toPeriod ? quota * toPeriod / fromPeriod : quota;
}
