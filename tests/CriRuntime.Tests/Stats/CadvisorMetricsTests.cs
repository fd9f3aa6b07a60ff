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
}
