using CriRuntime.Api.V1;
using CriRuntime.Linux;
using CriRuntime.Stats;

namespace CriRuntime.Containers;

// ContainerStats, ListContainerStats and the per-container stats and metrics nested in the pod's: cgroup files and a
// cached size of the writable layer; nothing is spawned.
internal sealed partial class ContainerService : IContainerStatsSource
{
    /// <exception cref="Errors.NotFoundException">No container has that id.</exception>
    public Task<ContainerStats> StatsAsync(string id, CancellationToken cancellationToken) => StatsOfAsync(Get(id), cancellationToken);

    /// <summary>Stats of the containers matching the filter (id or unique prefix, pod, labels), in any state.</summary>
    public async Task<IReadOnlyList<ContainerStats>> ListStatsAsync(ContainerStatsFilter? filter, CancellationToken cancellationToken)
    {
        var containers = List(filter is null ? null
            : new ContainerFilter { Id = filter.Id, PodSandboxId = filter.PodSandboxId, LabelSelector = { filter.LabelSelector } });
        var stats = await Task.WhenAll(containers.Select(c => StatsOfAsync(c, cancellationToken)));
        // An unfiltered listing (kubelet's) sees every container: forget the CPU samples of removed ones.
        if (filter is null || (filter.Id.Length == 0 && filter.PodSandboxId.Length == 0 && filter.LabelSelector.Count == 0))
        {
            _cpuRates.ForgetAllBut(containers.Select(c => c.Id).ToHashSet(StringComparer.Ordinal));
        }
        return stats;
    }

    public async Task<IReadOnlyList<ContainerStats>> StatsOfPodAsync(string sandboxId, CancellationToken cancellationToken) =>
        await Task.WhenAll(OfPod(sandboxId).Select(c => StatsOfAsync(c, cancellationToken)));

    public async Task<IReadOnlyList<ContainerMetrics>> MetricsOfPodAsync(string sandboxId, CancellationToken cancellationToken) =>
        await Task.WhenAll(OfPod(sandboxId).Select(c => MetricsOfAsync(c, cancellationToken)));

    private async Task<ContainerMetrics> MetricsOfAsync(Container c, CancellationToken cancellationToken)
    {
        var (name, image) = (c.Config.Metadata.Name, c.Record.ImageName);
        var metrics = new ContainerMetrics { ContainerId = c.Id };
        if (_cgroups.Read(c.Record.CgroupsPath) is { } cgroup)
        {
            metrics.Metrics.AddRange(CadvisorMetrics.FromCgroup(cgroup, c.Id, name, image));
        }
        // The same cached measurement as ContainerStats' writable layer: no extra walk per metrics call.
        var upper = ContainerRootfs.UpperDir(c.Record.LayerDir);
        var layer = await _layerUsage.GetAsync(upper, cancellationToken);
        metrics.Metrics.AddRange(CadvisorMetrics.FromFilesystem(layer, CapacityOf(upper), NowNanos(), c.Id, name, image));
        return metrics;
    }

    /// <summary>The file system of a writable layer (one statvfs, no walk); null if it is gone (removed meanwhile).</summary>
    private static FileSystemCapacity? CapacityOf(string upperDir)
    {
        try
        {
            return FileSystem.Capacity(upperDir);
        }
        catch (LinuxException)
        {
            return null;
        }
    }

    private IEnumerable<Container> OfPod(string sandboxId) =>
        _index.OfSandbox(sandboxId).Where(c => c.Record.State != ContainerStates.Creating).Select(Refreshed);

    private async Task<ContainerStats> StatsOfAsync(Container c, CancellationToken cancellationToken)
    {
        var r = c.Record;
        var cgroup = _cgroups.Read(r.CgroupsPath);
        var now = NowNanos();
        var layer = await _layerUsage.GetAsync(ContainerRootfs.UpperDir(r.LayerDir), cancellationToken);
        var stats = new ContainerStats
        {
            Attributes = new ContainerAttributes
            {
                Id = c.Id,
                Metadata = c.Config.Metadata,
                Labels = { c.Config.Labels },
                Annotations = { c.Config.Annotations },
            },
            Cpu = new CpuUsage { Timestamp = cgroup?.Timestamp ?? now },
            Memory = PodStats.Memory(cgroup, now),
            WritableLayer = new FilesystemUsage
            {
                Timestamp = (layer.MeasuredAt - DateTimeOffset.UnixEpoch).Ticks * 100,
                // The filesystem ImageFsInfo reports as the container filesystem, so kubelet matches the two.
                FsId = new FilesystemIdentifier { Mountpoint = Path.GetDirectoryName(r.LayerDir) ?? r.LayerDir },
                UsedBytes = new UInt64Value { Value = layer.Bytes },
                InodesUsed = new UInt64Value { Value = layer.Inodes },
            },
        };
        if (cgroup?.CpuUsageNanos is { } usage)
        {
            stats.Cpu.UsageCoreNanoSeconds = new UInt64Value { Value = usage };
            if (_cpuRates.Update(c.Id, cgroup.Timestamp, usage) is { } rate) stats.Cpu.UsageNanoCores = new UInt64Value { Value = rate };
        }
        if (cgroup?.SwapBytes is { } swap) stats.Swap = new SwapUsage { Timestamp = cgroup.Timestamp, SwapUsageBytes = new UInt64Value { Value = swap } };
        return stats;
    }

    /// <summary>Drops what the stats keep of a removed container.</summary>
    private void ForgetStats(ContainerRecord r)
    {
        _cpuRates.Forget(r.Id);
        _layerUsage.Forget(ContainerRootfs.UpperDir(r.LayerDir));
    }
}
