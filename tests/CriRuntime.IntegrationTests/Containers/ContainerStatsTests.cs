using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>ContainerStats and ListContainerStats as kubelet's CRI stats provider reads them.</summary>
public sealed class ContainerStatsTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    private const ulong MiB = 1024 * 1024;

    [Fact]
    public async Task ContainerStats_BusyContainer_CpuGrows()
    {
        var pod = await RunPodAsync("busy");
        var id = await RunAsync(pod, BusyboxConfig("spinner", "sh", "-c", "while :; do :; done"));
        var first = await StatsAsync(id);
        await Task.Delay(1000);
        var second = await StatsAsync(id);

        Assert.True(second.Cpu.UsageCoreNanoSeconds.Value > first.Cpu.UsageCoreNanoSeconds.Value + 100_000_000,
            $"cpu {first.Cpu.UsageCoreNanoSeconds.Value} -> {second.Cpu.UsageCoreNanoSeconds.Value} ns over 1 s of spinning");
        Assert.True(second.Cpu.UsageNanoCores.Value > 100_000_000, $"rate {second.Cpu.UsageNanoCores.Value} nanocores");
        Assert.True(second.Cpu.Timestamp > first.Cpu.Timestamp);
        Assert.Equal(id, second.Attributes.Id);
        Assert.Equal("spinner", second.Attributes.Metadata.Name);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task ContainerStats_Holding50MB_MemoryReportsAtLeastThat()
    {
        var pod = await RunPodAsync("memory");
        // tmpfs pages are charged to the writer's cgroup and cannot be reclaimed without swap: held for sure.
        var config = BusyboxConfig("holder", "sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=50 && echo held && exec sleep 600");
        var id = await RunAsync(pod, config);
        await WaitForLogAsync((await StatusAsync(id)).LogPath, "held");
        var stats = await StatsAsync(id);

        Assert.True(stats.Memory.UsageBytes.Value >= 50 * MiB, $"usage {stats.Memory.UsageBytes.Value}");
        Assert.True(stats.Memory.WorkingSetBytes.Value >= 50 * MiB, $"working set {stats.Memory.WorkingSetBytes.Value}");
        Assert.True(stats.Memory.Timestamp > 0);
        Assert.NotNull(stats.Memory.PageFaults);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task ContainerStats_FileWritten_WritableLayerGrows()
    {
        var pod = await RunPodAsync("layer");
        var signal = Directory.CreateDirectory(Path.Combine(Daemon.Settings.Dir, "signal-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var config = BusyboxConfig("writer", "sh", "-c",
            "while [ ! -e /signal/go ]; do sleep 0.05; done; dd if=/dev/urandom of=/big bs=1M count=8 && sync && echo written && exec sleep 600");
        config.Mounts.Add(new Mount { ContainerPath = "/signal", HostPath = signal });
        var id = await RunAsync(pod, config);
        var before = await StatsAsync(id);
        await File.WriteAllTextAsync(Path.Combine(signal, "go"), "");
        await WaitForLogAsync((await StatusAsync(id)).LogPath, "written");

        // The layer's size is cached for 10 s (kubelet polls every 10 s): the new file shows once it is re-measured.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var after = await StatsAsync(id);
        while (after.WritableLayer.UsedBytes.Value < before.WritableLayer.UsedBytes.Value + 8 * MiB && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            after = await StatsAsync(id);
        }
        Assert.True(after.WritableLayer.UsedBytes.Value >= before.WritableLayer.UsedBytes.Value + 8 * MiB,
            $"writable layer {before.WritableLayer.UsedBytes.Value} -> {after.WritableLayer.UsedBytes.Value} bytes");
        Assert.True(after.WritableLayer.InodesUsed.Value > before.WritableLayer.InodesUsed.Value);
        Assert.True(after.WritableLayer.Timestamp > before.WritableLayer.Timestamp);
        Assert.False(string.IsNullOrEmpty(after.WritableLayer.FsId.Mountpoint));
        // ListPodSandboxMetrics reports the same layer as cAdvisor's container_fs_* series (kubelet's /metrics/cadvisor).
        var metrics = (await Daemon.Runtime.ListPodSandboxMetricsAsync(new ListPodSandboxMetricsRequest())).PodMetrics
            .Single(p => p.PodSandboxId == pod.Id).ContainerMetrics.Single(c => c.ContainerId == id).Metrics.ToDictionary(m => m.Name);
        var fsUsage = metrics["container_fs_usage_bytes"];
        Assert.True(fsUsage.Value.Value >= before.WritableLayer.UsedBytes.Value + 8 * MiB, $"container_fs_usage_bytes {fsUsage.Value.Value}");
        Assert.Equal([id, "writer", config.Image.Image], fsUsage.LabelValues);
        Assert.Equal(MetricType.Gauge, fsUsage.MetricType);
        Assert.True(metrics["container_fs_limit_bytes"].Value.Value > fsUsage.Value.Value, $"container_fs_limit_bytes {metrics["container_fs_limit_bytes"].Value.Value}");
        Assert.InRange(metrics["container_fs_inodes_free"].Value.Value, 0UL, metrics["container_fs_inodes_total"].Value.Value);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task ListContainerStats_FilterByPodAndLabel_OnlyThoseContainers()
    {
        var before = LeakCheck.Take(Daemon, cgroupParent: CgroupParent);
        var podA = await RunPodAsync("stats-a");
        var podB = await RunPodAsync("stats-b");
        var a1 = await RunAsync(podA, BusyboxConfig("a1", "sleep", "600"));
        var a2Config = BusyboxConfig("a2", "sleep", "600");
        a2Config.Labels["tier"] = "db";
        var a2 = await RunAsync(podA, a2Config);
        var b1 = await RunAsync(podB, BusyboxConfig("b1", "sleep", "600"));

        var all = await ListAsync(null);
        Assert.Subset(all.Select(s => s.Attributes.Id).ToHashSet(), new HashSet<string> { a1, a2, b1 });
        Assert.Equal(new[] { a1, a2 }.Order(), (await ListAsync(new ContainerStatsFilter { PodSandboxId = podA.Id })).Select(s => s.Attributes.Id).Order());
        Assert.Equal([b1], (await ListAsync(new ContainerStatsFilter { PodSandboxId = podB.Id })).Select(s => s.Attributes.Id));
        Assert.Equal([a2], (await ListAsync(new ContainerStatsFilter { LabelSelector = { ["tier"] = "db" } })).Select(s => s.Attributes.Id));
        Assert.Equal([b1], (await ListAsync(new ContainerStatsFilter { Id = b1 })).Select(s => s.Attributes.Id));
        Assert.Empty(await ListAsync(new ContainerStatsFilter { PodSandboxId = podB.Id, LabelSelector = { ["tier"] = "db" } }));
        // The pod's stats and metrics nest its containers'.
        var podStats = (await Daemon.Runtime.PodSandboxStatsAsync(new PodSandboxStatsRequest { PodSandboxId = podA.Id })).Stats;
        Assert.Equal(new[] { a1, a2 }.Order(), podStats.Linux.Containers.Select(c => c.Attributes.Id).Order());
        Assert.All(podStats.Linux.Containers, c => Assert.NotNull(c.Cpu.UsageCoreNanoSeconds));
        var podMetrics = (await Daemon.Runtime.ListPodSandboxMetricsAsync(new ListPodSandboxMetricsRequest())).PodMetrics.Single(m => m.PodSandboxId == podA.Id);
        Assert.Equal(new[] { a1, a2 }.Order(), podMetrics.ContainerMetrics.Select(m => m.ContainerId).Order());
        Assert.Contains(podMetrics.ContainerMetrics[0].Metrics, m => m.Name == "container_memory_working_set_bytes");
        var missing = await Assert.ThrowsAsync<RpcException>(() => Daemon.Runtime.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = "0123456789abcdef" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        await StopRemovePodAsync(podA.Id);
        await StopRemovePodAsync(podB.Id);
        LeakCheck.Take(Daemon, cgroupParent: CgroupParent).AssertSameAs(before, "daemon fds");
    }

    private async Task<ContainerStats> StatsAsync(string id) =>
        (await Daemon.Runtime.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = id })).Stats;

    private async Task<IReadOnlyList<ContainerStats>> ListAsync(ContainerStatsFilter? filter) =>
        (await Daemon.Runtime.ListContainerStatsAsync(new ListContainerStatsRequest { Filter = filter })).Stats;
}
