using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Linux;
using CriRuntime.Stats;
using Google.Protobuf;

namespace CriRuntime.Sandboxes;

/// <summary>
/// UpdatePodSandboxResources. CRI: kubelet calls it after it resized the pod-level cgroup, best effort; the
/// runtime brings what it owns in line. We write the sum of the pod's resources and its overhead into the pod
/// cgroup (the one <see cref="PodStats.PodCgroupOf"/> reads), which is a no-op when kubelet already did, and
/// record them in the pod's stored PodSandboxConfig (linux.resources, linux.overhead), as the CRI asks.
/// </summary>
internal sealed class PodResources(SandboxIndex index, CgroupLimits limits)
{
    /// <exception cref="NotFoundException">No pod has that id.</exception>
    /// <exception cref="OperationFailedException">The kernel refused a value (e.g. a memory limit below current usage).</exception>
    public async Task UpdateAsync(string id, LinuxContainerResources? resources, LinuxContainerResources? overhead, CancellationToken cancellationToken)
    {
        using var held = await index.Locks.AcquireAsync(id, cancellationToken);
        var pod = index.Get(id) is { Record.State: not SandboxStates.Creating } p ? p : throw new NotFoundException($"pod sandbox \"{id}\" not found");
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
        var config = pod.Config.Clone();
        config.Linux ??= new LinuxPodSandboxConfig();
        if (resources is not null) config.Linux.Resources = resources;
        if (overhead is not null) config.Linux.Overhead = overhead;
        index.Save(new Sandbox(pod.Record with { Config = config.ToByteArray() }, config));
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
