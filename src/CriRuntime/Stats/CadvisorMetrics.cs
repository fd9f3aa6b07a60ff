using CriRuntime.Api.V1;
using CriRuntime.Linux;

namespace CriRuntime.Stats;

/// <summary>
/// The cAdvisor-named metric set served through ListMetricDescriptors / ListPodSandboxMetrics (as CRI-O does),
/// which kubelet exposes on /metrics/cadvisor when it takes metrics from the runtime. Labels as CRI-O's: every
/// metric carries id, name and image; container_cpu_usage_seconds_total adds cpu ("total", as cAdvisor without
/// per-cpu stats) and network metrics the interface. Pod-level series are (pod id, "POD", ""); filesystem series
/// exist for containers only (their writable layers).
/// </summary>
internal static class CadvisorMetrics
{
    public const string PodContainerName = "POD";

    private const string CpuUsage = "container_cpu_usage_seconds_total";

    private static readonly string[] BaseLabels = ["id", "name", "image"];
    private static readonly string[] CpuLabels = [.. BaseLabels, "cpu"];
    private static readonly string[] InterfaceLabels = [.. BaseLabels, "interface"];

    private static readonly (string Name, string Help, MetricType Type)[] CgroupMetrics =
    [
        (CpuUsage, "Cumulative cpu time consumed in seconds.", MetricType.Counter),
        ("container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.", MetricType.Counter),
        ("container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.", MetricType.Counter),
        ("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed", MetricType.Gauge),
        ("container_memory_working_set_bytes", "Current working set in bytes.", MetricType.Gauge),
        ("container_memory_rss", "Size of RSS in bytes.", MetricType.Gauge),
        ("container_memory_cache", "Number of bytes of page cache memory.", MetricType.Gauge),
        ("container_memory_swap", "Container swap usage in bytes.", MetricType.Gauge),
        ("container_spec_memory_limit_bytes", "Memory limit for the container.", MetricType.Gauge),
        ("container_processes", "Number of processes running inside the container.", MetricType.Gauge),
    ];

    private static readonly (string Name, string Help)[] NetworkMetrics =
    [
        ("container_network_receive_bytes_total", "Cumulative count of bytes received"),
        ("container_network_receive_packets_total", "Cumulative count of packets received"),
        ("container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving"),
        ("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving"),
        ("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted"),
        ("container_network_transmit_packets_total", "Cumulative count of packets transmitted"),
        ("container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting"),
        ("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting"),
    ];

    // CRI-O's set and help texts; its labels are the base ones (cAdvisor's "device" is left out, as CRI-O does).
    private static readonly (string Name, string Help)[] FilesystemMetrics =
    [
        ("container_fs_usage_bytes", "Current filesystem usage in bytes."),
        ("container_fs_limit_bytes", "Filesystem limit in bytes."),
        ("container_fs_inodes_total", "Total number of inodes."),
        ("container_fs_inodes_free", "Number of free inodes."),
    ];

    /// <summary>Every metric this runtime may report, with its help text and label keys.</summary>
    public static IReadOnlyList<MetricDescriptor> Descriptors { get; } =
    [
        .. CgroupMetrics.Select(m => Descriptor(m.Name, m.Help, m.Name == CpuUsage ? CpuLabels : BaseLabels)),
        .. NetworkMetrics.Select(m => Descriptor(m.Name, m.Help, InterfaceLabels)),
        .. FilesystemMetrics.Select(m => Descriptor(m.Name, m.Help, BaseLabels)),
    ];

    /// <summary>CPU, memory and process metrics of one cgroup sample; absent counters are left out.</summary>
    /// <param name="id">The container id, or the pod id for pod-level series.</param>
    /// <param name="name">The container name, or <see cref="PodContainerName"/>.</param>
    /// <param name="image">The container's image reference; empty for the pod.</param>
    public static IEnumerable<Metric> FromCgroup(CgroupStats stats, string id, string name, string image)
    {
        string[] labels = [id, name, image];
        string[] cpuLabels = [.. labels, "total"];
        ulong? Seconds(ulong? nanos) => nanos / 1_000_000_000;
        ulong?[] values =
        [
            Seconds(stats.CpuUsageNanos), Seconds(stats.CpuUserNanos), Seconds(stats.CpuSystemNanos),
            stats.MemoryUsageBytes, stats.WorkingSetBytes, stats.RssBytes, stats.CacheBytes, stats.SwapBytes,
            stats.MemoryLimitBytes ?? 0, stats.ProcessCount,
        ];
        for (var i = 0; i < CgroupMetrics.Length; i++)
        {
            if (values[i] is not { } value) continue;
            yield return Metric(CgroupMetrics[i].Name, CgroupMetrics[i].Type, stats.Timestamp, i == 0 ? cpuLabels : labels, value);
        }
    }

    /// <summary>Network metrics of each interface (loopback skipped) of a pod's namespace.</summary>
    public static IEnumerable<Metric> FromNetwork(IReadOnlyList<InterfaceCounters> interfaces, long timestamp, string id, string name, string image)
    {
        foreach (var i in interfaces)
        {
            if (i.Name == "lo") continue;
            string[] labels = [id, name, image, i.Name];
            ulong[] values = [i.RxBytes, i.RxPackets, i.RxDropped, i.RxErrors, i.TxBytes, i.TxPackets, i.TxDropped, i.TxErrors];
            for (var m = 0; m < NetworkMetrics.Length; m++)
            {
                yield return Metric(NetworkMetrics[m].Name, MetricType.Counter, timestamp, labels, values[m]);
            }
        }
    }

    /// <summary>
    /// Filesystem metrics of a container's writable layer, as CRI-O computes them: usage = the layer's measured
    /// (cached) size, the same as ContainerStats' writable_layer.used_bytes; limit and inodes = the file system the
    /// layer lives on (statvfs), since a layer has no quota of its own here.
    /// </summary>
    public static IEnumerable<Metric> FromFilesystem(DirectorySize layer, FileSystemCapacity? capacity, long timestamp, string id, string name, string image)
    {
        string[] labels = [id, name, image];
        yield return Metric(FilesystemMetrics[0].Name, MetricType.Gauge, Nanos(layer.MeasuredAt), labels, layer.Bytes);
        if (capacity is null) yield break;
        ulong[] values = [capacity.Bytes, capacity.Inodes, capacity.FreeInodes];
        for (var i = 0; i < values.Length; i++)
        {
            yield return Metric(FilesystemMetrics[i + 1].Name, MetricType.Gauge, timestamp, labels, values[i]);
        }
    }

    private static long Nanos(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static MetricDescriptor Descriptor(string name, string help, string[] labels)
    {
        var descriptor = new MetricDescriptor { Name = name, Help = help };
        descriptor.LabelKeys.AddRange(labels);
        return descriptor;
    }

    private static Metric Metric(string name, MetricType type, long timestamp, string[] labels, ulong value)
    {
        var metric = new Metric { Name = name, MetricType = type, Timestamp = timestamp, Value = new UInt64Value { Value = value } };
        metric.LabelValues.AddRange(labels);
        return metric;
    }
}
