using CriRuntime.Api.V1;
using CriRuntime.Sandboxes;

namespace CriRuntime.Stats;

/// <summary>
/// PodSandboxStats, ListPodSandboxStats and ListPodSandboxMetrics: the pod cgroup's CPU, memory and process
/// count, the pod netns's interface counters, and the containers' stats through <see cref="IContainerStatsSource"/>.
/// Nothing is spawned; every block carries the time it was read.
/// </summary>
internal sealed class PodStats(SandboxService sandboxes, CgroupStatsReader cgroups, IContainerStatsSource containers)
{
    private const string DefaultInterface = "eth0";

    // Pods only: containers keep their own tracker, and ids never collide anyway (random).
    private readonly CpuRateTracker _rates = new();

    /// <exception cref="Errors.NotFoundException">No pod has that id.</exception>
    public Task<PodSandboxStats> GetAsync(string id, CancellationToken cancellationToken) =>
        StatsAsync(sandboxes.Get(id), cancellationToken);

    public async Task<IReadOnlyList<PodSandboxStats>> ListAsync(PodSandboxStatsFilter? filter, CancellationToken cancellationToken)
    {
        var pods = Ready(filter);
        var result = await Task.WhenAll(pods.Select(p => StatsAsync(p, cancellationToken)));
        if (filter is null || (filter.Id.Length == 0 && filter.LabelSelector.Count == 0))
        {
            _rates.ForgetAllBut(pods.Select(p => p.Id).ToHashSet(StringComparer.Ordinal));
        }
        return result;
    }

    public async Task<IReadOnlyList<PodSandboxMetrics>> MetricsAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(Ready(null).Select(p => MetricsAsync(p, cancellationToken)));

    /// <summary>
    /// The cgroup that holds the whole pod. With a cgroup parent (kubelet's per-pod cgroup) that is the parent,
    /// which contains the pause and every container, as containerd and CRI-O read it; without one, pods share
    /// our default parent, so only the pause's own cgroup is the pod's.
    /// </summary>
    public static string PodCgroupOf(SandboxRecord record)
    {
        var parent = record.CgroupsPath[..Math.Max(0, record.CgroupsPath.LastIndexOf('/'))];
        return parent.Trim('/') is "" or "criruntime" ? record.CgroupsPath : parent;
    }

    private IReadOnlyList<Sandbox> Ready(PodSandboxStatsFilter? filter)
    {
        var podFilter = new PodSandboxFilter { State = new PodSandboxStateValue { State = PodSandboxState.SandboxReady } };
        if (filter is not null)
        {
            podFilter.Id = filter.Id;
            podFilter.LabelSelector.Add(filter.LabelSelector);
        }
        return sandboxes.List(podFilter);
    }

    private async Task<PodSandboxStats> StatsAsync(Sandbox pod, CancellationToken cancellationToken)
    {
        var r = pod.Record;
        var cgroup = cgroups.Read(PodCgroupOf(r));
        var now = Now();
        var network = r.NetnsPath is null ? null : await NetworkNamespaceCountersAsync(r);
        var linux = new LinuxPodSandboxStats
        {
            Cpu = Cpu(r.Id, cgroup, now),
            Memory = Memory(cgroup, now),
            Process = new ProcessUsage { Timestamp = cgroup?.Timestamp ?? now, ProcessCount = Value(cgroup?.ProcessCount) },
        };
        if (network is not null) linux.Network = Network(network, Now());
        linux.Containers.AddRange(await containers.StatsOfPodAsync(r.Id, cancellationToken));
        return new PodSandboxStats
        {
            Attributes = new PodSandboxAttributes
            {
                Id = r.Id,
                Metadata = pod.Config.Metadata,
                Labels = { pod.Config.Labels },
                Annotations = { pod.Config.Annotations },
            },
            Linux = linux,
        };
    }

    private async Task<PodSandboxMetrics> MetricsAsync(Sandbox pod, CancellationToken cancellationToken)
    {
        var r = pod.Record;
        var metrics = new PodSandboxMetrics { PodSandboxId = r.Id };
        if (cgroups.Read(PodCgroupOf(r)) is { } cgroup)
        {
            metrics.Metrics.AddRange(CadvisorMetrics.FromCgroup(cgroup, r.Id, CadvisorMetrics.PodContainerName, ""));
        }
        if (r.NetnsPath is not null)
        {
            var interfaces = await NetworkNamespaceCountersAsync(r);
            metrics.Metrics.AddRange(CadvisorMetrics.FromNetwork(interfaces, Now(), r.Id, CadvisorMetrics.PodContainerName, ""));
        }
        metrics.ContainerMetrics.AddRange(await containers.MetricsOfPodAsync(r.Id, cancellationToken));
        return metrics;
    }

    private static Task<IReadOnlyList<InterfaceCounters>> NetworkNamespaceCountersAsync(SandboxRecord r) =>
        NetworkStatsReader.ReadAsync(r.PausePid, r.PauseStartTime, r.NetnsPath);

    private CpuUsage Cpu(string id, CgroupStats? cgroup, long now)
    {
        var cpu = new CpuUsage { Timestamp = cgroup?.Timestamp ?? now };
        if (cgroup?.CpuUsageNanos is not { } usage) return cpu;
        cpu.UsageCoreNanoSeconds = new UInt64Value { Value = usage };
        if (_rates.Update(id, cgroup.Timestamp, usage) is { } rate) cpu.UsageNanoCores = new UInt64Value { Value = rate };
        return cpu;
    }

    private static MemoryUsage Memory(CgroupStats? cgroup, long now) => new()
    {
        Timestamp = cgroup?.Timestamp ?? now,
        WorkingSetBytes = Value(cgroup?.WorkingSetBytes),
        AvailableBytes = Value(cgroup?.AvailableBytes),
        UsageBytes = Value(cgroup?.MemoryUsageBytes),
        RssBytes = Value(cgroup?.RssBytes),
        PageFaults = Value(cgroup?.PageFaults),
        MajorPageFaults = Value(cgroup?.MajorPageFaults),
    };

    /// <summary>CRI: default_interface is eth0 (the one CNI created); interfaces lists every other but loopback.</summary>
    private static NetworkUsage Network(IReadOnlyList<InterfaceCounters> interfaces, long now)
    {
        var usage = new NetworkUsage { Timestamp = now };
        foreach (var i in interfaces)
        {
            if (i.Name == "lo") continue;
            var counters = new NetworkInterfaceUsage
            {
                Name = i.Name,
                RxBytes = new UInt64Value { Value = i.RxBytes },
                RxErrors = new UInt64Value { Value = i.RxErrors },
                TxBytes = new UInt64Value { Value = i.TxBytes },
                TxErrors = new UInt64Value { Value = i.TxErrors },
            };
            if (i.Name == DefaultInterface) usage.DefaultInterface = counters;
            else usage.Interfaces.Add(counters);
        }
        return usage;
    }

    private static UInt64Value? Value(ulong? value) => value is { } v ? new UInt64Value { Value = v } : null;

    private static long Now() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
}
