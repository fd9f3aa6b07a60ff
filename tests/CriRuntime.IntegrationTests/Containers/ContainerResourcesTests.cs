using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>UpdateContainerResources as kubelet uses it (in-place pod resize): the cgroup follows, Status reports it.</summary>
public class ContainerResourcesTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task UpdateContainerResources_LowerMemoryThenAllocate_OOMKilled()
    {
        var before = LeakCheck.Take(Daemon, cgroupParent: CgroupParent);
        var pod = await RunPodAsync("resize");
        // The hog waits for the host's word through a bind mount (no exec needed), so it allocates only after the update.
        var signal = Directory.CreateDirectory(Path.Combine(Daemon.Settings.Dir, "signal-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var config = BusyboxConfig("hog", "sh", "-c", "while [ ! -e /signal/go ]; do sleep 0.05; done; exec tail /dev/zero");
        config.Mounts.Add(new Mount { ContainerPath = "/signal", HostPath = signal });
        config.Linux.Resources = new LinuxContainerResources { MemoryLimitInBytes = 256 * MiB, CpuPeriod = 100000, CpuQuota = 50000 };
        var id = await RunAsync(pod, config);
        var cgroup = await CgroupsPathAsync(id);
        Assert.Equal($"{256 * MiB}", CgroupFile("memory", cgroup, "memory.limit_in_bytes"));

        var updated = new LinuxContainerResources { MemoryLimitInBytes = 16 * MiB, CpuPeriod = 100000, CpuQuota = 150000, CpuShares = 256 };
        await Daemon.Runtime.UpdateContainerResourcesAsync(new UpdateContainerResourcesRequest { ContainerId = id, Linux = updated });

        Assert.Equal($"{16 * MiB}", CgroupFile("memory", cgroup, "memory.limit_in_bytes"));
        Assert.Equal("150000", CgroupFile("cpu", cgroup, "cpu.cfs_quota_us"));
        Assert.Equal("256", CgroupFile("cpu", cgroup, "cpu.shares"));
        Assert.Equal(updated, (await StatusAsync(id)).Resources.Linux);

        await File.WriteAllTextAsync(Path.Combine(signal, "go"), "");
        var status = await WaitExitedAsync(id);
        Assert.Equal("OOMKilled", status.Reason);
        Assert.Equal(137, status.ExitCode);
        // An exited container's limits cannot change; its status keeps what was last applied.
        var e = await Assert.ThrowsAsync<RpcException>(() => Daemon.Runtime.UpdateContainerResourcesAsync(
            new UpdateContainerResourcesRequest { ContainerId = id, Linux = updated }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Equal(updated, status.Resources.Linux);
        await StopRemovePodAsync(pod.Id);
        LeakCheck.Take(Daemon, cgroupParent: CgroupParent).AssertSameAs(before, "daemon fds");
    }

    [Fact]
    public async Task UpdateContainerResources_CpusetOfRunningContainer_CgroupProcessAndStatusFollow()
    {
        var pod = await RunPodAsync("cpuset");
        var id = await RunAsync(pod, BusyboxConfig("pinned", "sleep", "600"));
        var cgroup = await CgroupsPathAsync(id);
        var last = (Environment.ProcessorCount - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var pinned = new LinuxContainerResources { CpusetCpus = last, CpuShares = 512 };
        await Daemon.Runtime.UpdateContainerResourcesAsync(new UpdateContainerResourcesRequest { ContainerId = id, Linux = pinned });

        Assert.Equal(last, CgroupFile("cpuset", cgroup, "cpuset.cpus"));
        Assert.Equal("512", CgroupFile("cpu", cgroup, "cpu.shares"));
        // The running process (the pod's PID 1 is the pause, outside this cgroup) and a new exec may run only there.
        var r = await Daemon.Runtime.ExecSyncAsync(new ExecSyncRequest { ContainerId = id, Cmd = { "sh", "-c", "grep Cpus_allowed_list /proc/$(pidof sleep)/status /proc/self/status" }, Timeout = 10 });
        Assert.All(r.Stdout.ToStringUtf8().Trim().Split('\n'), l => Assert.EndsWith("\t" + last, l));
        Assert.Equal(last, (await StatusAsync(id)).Resources.Linux.CpusetCpus);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task UpdateContainerResources_RaiseMemoryAndCpu_CgroupAndStatusFollow()
    {
        var before = LeakCheck.Take(Daemon, cgroupParent: CgroupParent);
        var pod = await RunPodAsync("raise");
        var config = BusyboxConfig("sleeper", "sleep", "600");
        config.Linux.Resources = new LinuxContainerResources { MemoryLimitInBytes = 32 * MiB, CpuPeriod = 100000, CpuQuota = 20000 };
        var id = await CreateAsync(pod, config);
        var cgroup = await CgroupsPathAsync(id);
        // A created container can be resized before it starts, and the start keeps the new limits.
        var raised = new LinuxContainerResources { MemoryLimitInBytes = 512 * MiB, CpuPeriod = 50000, CpuQuota = 100000 };
        await Daemon.Runtime.UpdateContainerResourcesAsync(new UpdateContainerResourcesRequest { ContainerId = id, Linux = raised });
        await Daemon.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id });

        Assert.Equal($"{512 * MiB}", CgroupFile("memory", cgroup, "memory.limit_in_bytes"));
        Assert.Equal("100000", CgroupFile("cpu", cgroup, "cpu.cfs_quota_us"));
        Assert.Equal("50000", CgroupFile("cpu", cgroup, "cpu.cfs_period_us"));
        var status = await StatusAsync(id);
        Assert.Equal(ContainerState.ContainerRunning, status.State);
        Assert.Equal(raised, status.Resources.Linux);

        var missing = await Assert.ThrowsAsync<RpcException>(() => Daemon.Runtime.UpdateContainerResourcesAsync(
            new UpdateContainerResourcesRequest { ContainerId = "0123456789abcdef", Linux = raised }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var v2Only = await Assert.ThrowsAsync<RpcException>(() => Daemon.Runtime.UpdateContainerResourcesAsync(
            new UpdateContainerResourcesRequest { ContainerId = id, Linux = new LinuxContainerResources { Unified = { ["memory.high"] = "1000000" } } }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, v2Only.StatusCode);
        Assert.Equal(raised, (await StatusAsync(id)).Resources.Linux);
        await StopRemovePodAsync(pod.Id);
        LeakCheck.Take(Daemon, cgroupParent: CgroupParent).AssertSameAs(before, "daemon fds");
    }

    private async Task<string> CgroupsPathAsync(string id)
    {
        var verbose = await Daemon.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id, Verbose = true });
        using var info = JsonDocument.Parse(verbose.Info["info"]);
        return info.RootElement.GetProperty("cgroupsPath").GetString()!;
    }

    private static string CgroupFile(string controller, string cgroupsPath, string file) =>
        File.ReadAllText($"/sys/fs/cgroup/{controller}{cgroupsPath}/{file}").Trim();
}

/// <summary>The same with runc (runc update --resources -).</summary>
public sealed class RuncContainerResourcesTests(ITestOutputHelper output, ContainerImages images) : ContainerResourcesTests(output, images)
{
    protected override string Handler => "runc";
}
