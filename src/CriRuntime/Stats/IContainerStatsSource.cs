using CriRuntime.Api.V1;

namespace CriRuntime.Stats;

/// <summary>
/// Stats and metrics of a pod's containers, nested into the pod's (PodSandboxStats.linux.containers,
/// PodSandboxMetrics.container_metrics). The Containers service implements this with <see cref="CgroupStatsReader"/>,
/// a <see cref="CpuRateTracker"/> of its own, <see cref="DirectoryUsage"/> (writable layer) and
/// <see cref="CadvisorMetrics"/>; until it exists, <see cref="NoContainerStats"/> stands in.
/// </summary>
internal interface IContainerStatsSource
{
    /// <summary>Stats of every container of the pod; empty for an unknown pod.</summary>
    Task<IReadOnlyList<ContainerStats>> StatsOfPodAsync(string sandboxId, CancellationToken cancellationToken);

    /// <summary>Metrics (named as <see cref="CadvisorMetrics.Descriptors"/>) of every container of the pod.</summary>
    Task<IReadOnlyList<ContainerMetrics>> MetricsOfPodAsync(string sandboxId, CancellationToken cancellationToken);
}

/// <summary>Pods without containers: what exists until the Containers service implements <see cref="IContainerStatsSource"/>.</summary>
internal sealed class NoContainerStats : IContainerStatsSource
{
    public Task<IReadOnlyList<ContainerStats>> StatsOfPodAsync(string sandboxId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ContainerStats>>([]);

    public Task<IReadOnlyList<ContainerMetrics>> MetricsOfPodAsync(string sandboxId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ContainerMetrics>>([]);
}
