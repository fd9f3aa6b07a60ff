using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using CriRuntime.IntegrationTests.Sandboxes;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Stats;

/// <summary>
/// Pod stats and metrics read from the real pod cgroup and netns, pod resource updates, and the pod CIDR
/// reaching host-local. Each pod gets a cgroup parent of its own (as kubelet's per-pod cgroup), which is what
/// the runtime reads as the pod's cgroup.
/// </summary>
[Collection("pods")]
public sealed class PodStatsTests(ITestOutputHelper output) : PodTestBase(output), IAsyncLifetime
{
    private const long Second = 1_000_000_000;
    private readonly List<string> _podParents = [];

    protected override bool UsesPodCidr => true;

    // What kubelet does once it knows the node's pod CIDR. The class's network has no range of its own, so every
    // pod address here comes from this CIDR.
    protected override Task OnDaemonStartedAsync() => SetPodCidrAsync(Network.Subnet);

    async Task IAsyncLifetime.DisposeAsync()
    {
        await Pods.RemoveAllAsync(Daemon);
        foreach (var parent in _podParents) Pods.RemoveCgroupParent(parent);
        await DisposeAsync();
    }

    [Fact]
    public async Task PodSandboxStats_ProcessInPodCgroup_CpuAndMemoryGrow()
    {
        var (id, parent) = await RunOwnCgroupAsync("busy");
        using var hog = StartHog();
        foreach (var controller in new[] { "cpuacct", "memory", "pids" })
        {
            File.WriteAllText($"/sys/fs/cgroup/{controller}{parent}/cgroup.procs", hog.Id.ToString());
        }
        try
        {
            await hog.StandardInput.WriteLineAsync("go");
            await hog.StandardInput.FlushAsync();
            Assert.Equal("allocated", await hog.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

            var first = (await Daemon.Runtime.PodSandboxStatsAsync(new PodSandboxStatsRequest { PodSandboxId = id })).Stats;
            await Task.Delay(1500);
            var second = (await Daemon.Runtime.PodSandboxStatsAsync(new PodSandboxStatsRequest { PodSandboxId = id })).Stats;

            Assert.Equal(id, second.Attributes.Id);
            Assert.Equal("busy", second.Attributes.Metadata.Name);
            var cpuGrowth = second.Linux.Cpu.UsageCoreNanoSeconds.Value - first.Linux.Cpu.UsageCoreNanoSeconds.Value;
            Assert.True(cpuGrowth > Second / 5, $"cpu grew {cpuGrowth} ns in 1.5 s");
            Assert.True(second.Linux.Cpu.UsageNanoCores.Value > 100_000_000, $"usage_nano_cores {second.Linux.Cpu.UsageNanoCores}");
            Assert.True(second.Linux.Cpu.Timestamp > first.Linux.Cpu.Timestamp);
            var memory = second.Linux.Memory;
            Assert.True(memory.WorkingSetBytes.Value >= 64 << 20, $"working set {memory.WorkingSetBytes.Value}");
            Assert.True(memory.UsageBytes.Value >= memory.WorkingSetBytes.Value);
            Assert.True(memory.RssBytes.Value >= 60 << 20, $"rss {memory.RssBytes.Value}");
            Assert.True(memory.PageFaults.Value > 0);
            Assert.Null(memory.AvailableBytes); // no limit on the pod cgroup
            Assert.True(second.Linux.Process.ProcessCount.Value >= 2, $"processes {second.Linux.Process.ProcessCount}"); // pause + hog
            Assert.All(new long[] { memory.Timestamp, second.Linux.Process.Timestamp, second.Linux.Network.Timestamp }, t => Assert.True(t > 0));
            Assert.Empty(second.Linux.Containers);
        }
        finally
        {
            hog.Kill();
            await hog.WaitForExitAsync();
        }
        await StopAndRemoveAsync(id);
    }

    [Fact]
    public async Task PodSandboxStats_AfterPing_NetworkCountersGrowOnEth0()
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);
        var id = await RunAsync(Pods.Config("net", CgroupParent));
        var (_, info) = await StatusAsync(id);
        var netns = info.GetProperty("netnsPath").GetString()!;
        var first = (await Daemon.Runtime.PodSandboxStatsAsync(new PodSandboxStatsRequest { PodSandboxId = id })).Stats.Linux.Network;

        var ping = Pods.InNetns(netns, "ping", "-c", "4", "-s", "1400", "-W", "2", Network.Gateway);
        Assert.True(ping.ExitCode == 0, ping.Stdout + ping.Stderr);

        var second = (await Daemon.Runtime.PodSandboxStatsAsync(new PodSandboxStatsRequest { PodSandboxId = id })).Stats.Linux.Network;
        Assert.Equal("eth0", second.DefaultInterface.Name);
        Assert.DoesNotContain(second.Interfaces, i => i.Name == "lo");
        Assert.True(second.DefaultInterface.TxBytes.Value >= first.DefaultInterface.TxBytes.Value + 5000, $"{first} -> {second}");
        Assert.True(second.DefaultInterface.RxBytes.Value >= first.DefaultInterface.RxBytes.Value + 5000, $"{first} -> {second}");
        Assert.Equal(0UL, second.DefaultInterface.RxErrors.Value);
        Assert.True(second.Timestamp > first.Timestamp);
        await StopAndRemoveAsync(id);
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task PodSandboxStats_PauseDead_NetworkReadThroughThePinnedNetns()
    {
        var id = await RunAsync(Pods.Config("nopause", CgroupParent));
        var (_, info) = await StatusAsync(id);
        var pid = info.GetProperty("pid").GetInt32();
        var ping = Pods.InNetns(info.GetProperty("netnsPath").GetString()!, "ping", "-c", "1", "-s", "1400", "-W", "2", Network.Gateway);
        Assert.True(ping.ExitCode == 0, ping.Stdout + ping.Stderr);
        using (var pause = Process.GetProcessById(pid))
        {
            pause.Kill();
            await pause.WaitForExitAsync();
        }

        var network = (await Daemon.Runtime.PodSandboxStatsAsync(new PodSandboxStatsRequest { PodSandboxId = id })).Stats.Linux.Network;

        Assert.Equal("eth0", network.DefaultInterface.Name);
        Assert.True(network.DefaultInterface.TxBytes.Value > 1400, network.ToString());
        Assert.True(network.DefaultInterface.RxBytes.Value > 1400, network.ToString());
        await StopAndRemoveAsync(id);
    }

    [Fact]
    public async Task ListPodSandboxStats_FilterByIdAndLabels()
    {
        var a = await RunAsync(Pods.Config("list-a", CgroupParent));
        var b = await RunAsync(Pods.Config("list-b", CgroupParent));

        var all = (await Daemon.Runtime.ListPodSandboxStatsAsync(new ListPodSandboxStatsRequest())).Stats;
        var byId = (await Daemon.Runtime.ListPodSandboxStatsAsync(new ListPodSandboxStatsRequest { Filter = new PodSandboxStatsFilter { Id = a } })).Stats;
        var byLabel = (await Daemon.Runtime.ListPodSandboxStatsAsync(new ListPodSandboxStatsRequest
        {
            Filter = new PodSandboxStatsFilter { LabelSelector = { ["app"] = "list-b" } },
        })).Stats;

        Assert.Subset(all.Select(s => s.Attributes.Id).ToHashSet(), new HashSet<string> { a, b });
        Assert.Equal([a], byId.Select(s => s.Attributes.Id));
        Assert.Equal([b], byLabel.Select(s => s.Attributes.Id));
        Assert.All(all, s => Assert.True(s.Linux.Cpu.UsageCoreNanoSeconds.Value > 0 && s.Linux.Memory.Timestamp > 0));
        await StopAndRemoveAsync(a);
        await StopAndRemoveAsync(b);
    }

    [Fact]
    public async Task PodSandboxStats_UnknownPod_NotFound()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await Daemon.Runtime.PodSandboxStatsAsync(new PodSandboxStatsRequest { PodSandboxId = "0123456789abcdef" }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        var update = await Assert.ThrowsAsync<RpcException>(async () => await Daemon.Runtime.UpdatePodSandboxResourcesAsync(
            new UpdatePodSandboxResourcesRequest { PodSandboxId = "0123456789abcdef", Resources = new LinuxContainerResources { CpuShares = 2 } }));
        Assert.Equal(StatusCode.NotFound, update.StatusCode);
    }

    [Fact]
    public async Task ListPodSandboxMetrics_ConsistentWithDescriptors()
    {
        var id = await RunAsync(Pods.Config("metrics", CgroupParent));

        var descriptors = (await Daemon.Runtime.ListMetricDescriptorsAsync(new ListMetricDescriptorsRequest())).Descriptors
            .ToDictionary(d => d.Name);
        var pods = (await Daemon.Runtime.ListPodSandboxMetricsAsync(new ListPodSandboxMetricsRequest())).PodMetrics;

        Assert.Contains("container_cpu_usage_seconds_total", descriptors.Keys);
        Assert.Contains("container_memory_working_set_bytes", descriptors.Keys);
        var pod = Assert.Single(pods, p => p.PodSandboxId == id);
        Assert.All(pod.Metrics, m =>
        {
            Assert.True(descriptors.TryGetValue(m.Name, out var d), m.Name + " has no descriptor");
            Assert.Equal(d!.LabelKeys.Count, m.LabelValues.Count);
            Assert.True(m.Timestamp > 0);
        });
        var names = pod.Metrics.Select(m => m.Name).ToHashSet();
        Assert.Contains("container_memory_working_set_bytes", names);
        Assert.Contains("container_processes", names);
        var rx = pod.Metrics.Single(m => m.Name == "container_network_receive_bytes_total");
        Assert.Equal([id, "POD", "", "eth0"], rx.LabelValues);
        Assert.Empty(pod.ContainerMetrics);
        await StopAndRemoveAsync(id);
    }

    [Fact]
    public async Task UpdatePodSandboxResources_WritesPodCgroupLimits()
    {
        var (id, parent) = await RunOwnCgroupAsync("resize");

        await Daemon.Runtime.UpdatePodSandboxResourcesAsync(new UpdatePodSandboxResourcesRequest
        {
            PodSandboxId = id,
            Resources = new LinuxContainerResources { CpuShares = 512, CpuPeriod = 100000, CpuQuota = 50000, MemoryLimitInBytes = 128 << 20 },
            Overhead = new LinuxContainerResources { MemoryLimitInBytes = 16 << 20 },
        });

        Assert.Equal("512", File.ReadAllText($"/sys/fs/cgroup/cpu{parent}/cpu.shares").Trim());
        Assert.Equal("50000", File.ReadAllText($"/sys/fs/cgroup/cpu{parent}/cpu.cfs_quota_us").Trim());
        Assert.Equal((144L << 20).ToString(), File.ReadAllText($"/sys/fs/cgroup/memory{parent}/memory.limit_in_bytes").Trim());
        var stats = (await Daemon.Runtime.PodSandboxStatsAsync(new PodSandboxStatsRequest { PodSandboxId = id })).Stats;
        Assert.True(stats.Linux.Memory.AvailableBytes.Value is > 0 and <= 144 << 20);
        // The stored PodSandboxConfig carries the new resources (CRI: "updates the PodSandboxConfig").
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(Daemon.Settings.Root, "sandboxes", id + ".json")));
        var stored = PodSandboxConfig.Parser.ParseFrom(record.RootElement.GetProperty("config").GetBytesFromBase64());
        Assert.Equal(128L << 20, stored.Linux.Resources.MemoryLimitInBytes);
        Assert.Equal(16L << 20, stored.Linux.Overhead.MemoryLimitInBytes);
        Assert.Equal("resize", stored.Metadata.Name);
        await StopAndRemoveAsync(id);
    }

    [Fact]
    public async Task UpdateRuntimeConfig_PodCidr_ReachesIpamAndSurvivesRestart()
    {
        var cidr = IPNetwork.Parse(Network.Subnet);
        var first = await RunAsync(Pods.Config("cidr-a", CgroupParent));
        Assert.Equal(Network.Subnet + "\n", File.ReadAllText(Path.Combine(Daemon.Settings.Root, "network", "pod-cidr")));

        await Daemon.RestartAsync();
        var second = await RunAsync(Pods.Config("cidr-b", CgroupParent));

        foreach (var id in new[] { first, second })
        {
            var (status, _) = await StatusAsync(id);
            Assert.True(cidr.Contains(IPAddress.Parse(status.Network.Ip)), $"{status.Network.Ip} not in {cidr}");
            await StopAndRemoveAsync(id);
        }
        var invalid = await Assert.ThrowsAsync<RpcException>(async () => await Daemon.Runtime.UpdateRuntimeConfigAsync(new UpdateRuntimeConfigRequest
        {
            RuntimeConfig = new RuntimeConfig { NetworkConfig = new NetworkConfig { PodCidr = "10.88.1.0" } },
        }));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
    }

    private async Task SetPodCidrAsync(string cidr) =>
        await Daemon.Runtime.UpdateRuntimeConfigAsync(new UpdateRuntimeConfigRequest
        {
            RuntimeConfig = new RuntimeConfig { NetworkConfig = new NetworkConfig { PodCidr = cidr } },
        });

    private async Task<(string Id, string Parent)> RunOwnCgroupAsync(string name)
    {
        var parent = $"{CgroupParent}/pod-{name}";
        _podParents.Add(parent);
        return (await RunAsync(Pods.Config(name, parent)), parent);
    }

    // Waits for a line on stdin (so it is charged to the pod cgroup only after the test moved it there), touches
    // 64 MiB, then burns CPU for at most a minute.
    private static Process StartHog()
    {
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("""
            import sys, time
            sys.stdin.readline()
            b = bytearray(b'a') * (64 << 20)
            print('allocated', flush=True)
            end = time.time() + 60
            while time.time() < end: pass
            """);
        return Process.Start(info)!;
    }
}
