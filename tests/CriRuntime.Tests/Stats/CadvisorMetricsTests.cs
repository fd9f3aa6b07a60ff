using CriRuntime.Linux;
using CriRuntime.Stats;

namespace CriRuntime.Tests.Stats;

public sealed class CadvisorMetricsTests
{
    [Fact]
    public void Descriptors_UniqueNamesAndTheCoreKubeletSet()
    {
        var names = CadvisorMetrics.Descriptors.Select(d => d.Name).ToList();

        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains("container_cpu_usage_seconds_total", names);
        Assert.Contains("container_memory_working_set_bytes", names);
        Assert.Contains("container_network_receive_bytes_total", names);
        Assert.Contains("container_fs_usage_bytes", names);
        Assert.Contains("container_fs_inodes_free", names);
        Assert.All(CadvisorMetrics.Descriptors, d => Assert.NotEmpty(d.Help));
    }

    [Fact]
    public void FromCgroup_LabelValuesMatchDescriptorKeysAndUnits()
    {
        var stats = new CgroupStats
        {
            Timestamp = 7,
            CpuUsageNanos = 3_700_000_000,
            MemoryUsageBytes = 100,
            WorkingSetBytes = 80,
            ProcessCount = 2,
        };

        var metrics = CadvisorMetrics.FromCgroup(stats, "ctr1", "web", "docker.io/library/nginx:1").ToList();

        var keys = CadvisorMetrics.Descriptors.ToDictionary(d => d.Name, d => d.LabelKeys.Count);
        Assert.All(metrics, m => Assert.Equal(keys[m.Name], m.LabelValues.Count));
        var cpu = metrics.Single(m => m.Name == "container_cpu_usage_seconds_total");
        Assert.Equal(3UL, cpu.Value.Value);
        Assert.Equal(["ctr1", "web", "docker.io/library/nginx:1", "total"], cpu.LabelValues);
        Assert.Equal(80UL, metrics.Single(m => m.Name == "container_memory_working_set_bytes").Value.Value);
        Assert.DoesNotContain(metrics, m => m.Name == "container_memory_rss"); // not read: not reported
        Assert.All(metrics, m => Assert.Equal(7, m.Timestamp));
    }

    [Fact]
    public void FromFilesystem_LayerUsageAndCapacity_GaugesWithBaseLabels()
    {
        var measured = DateTimeOffset.UnixEpoch.AddSeconds(5);
        var layer = new DirectorySize(Bytes: 8192, Inodes: 3, measured);

        var metrics = CadvisorMetrics.FromFilesystem(layer, new FileSystemCapacity(Bytes: 1_000_000, Inodes: 500, FreeInodes: 120), 9,
            "ctr1", "web", "nginx").ToDictionary(m => m.Name);

        var keys = CadvisorMetrics.Descriptors.ToDictionary(d => d.Name, d => d.LabelKeys);
        Assert.Equal(["container_fs_inodes_free", "container_fs_inodes_total", "container_fs_limit_bytes", "container_fs_usage_bytes"], metrics.Keys.Order());
        Assert.All(metrics.Values, m => Assert.Equal(keys[m.Name].Count, m.LabelValues.Count));
        Assert.All(metrics.Values, m => Assert.Equal(["ctr1", "web", "nginx"], m.LabelValues));
        Assert.All(metrics.Values, m => Assert.Equal(Api.V1.MetricType.Gauge, m.MetricType));
        Assert.Equal(8192UL, metrics["container_fs_usage_bytes"].Value.Value);
        // Usage carries the time the layer was measured (it may be a cached size), capacity the time of the call.
        Assert.Equal(5_000_000_000L, metrics["container_fs_usage_bytes"].Timestamp);
        Assert.Equal(1_000_000UL, metrics["container_fs_limit_bytes"].Value.Value);
        Assert.Equal(500UL, metrics["container_fs_inodes_total"].Value.Value);
        Assert.Equal(120UL, metrics["container_fs_inodes_free"].Value.Value);
        Assert.Equal(9, metrics["container_fs_inodes_free"].Timestamp);
    }

    [Fact]
    public void FromFilesystem_NoCapacity_OnlyUsage()
    {
        var metrics = CadvisorMetrics.FromFilesystem(new DirectorySize(10, 1, DateTimeOffset.UtcNow), null, 1, "c", "n", "i").ToList();

        Assert.Equal("container_fs_usage_bytes", Assert.Single(metrics).Name);
    }
}
