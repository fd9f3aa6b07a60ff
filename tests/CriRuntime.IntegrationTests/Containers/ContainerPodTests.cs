using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>Containers in pods with a network of their own (a bridge of the test's own), and many cycles of them.</summary>
public class ContainerPodTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    protected override bool UsesBridgeNetwork => true;

    private Task<(string Id, PodSandboxConfig Config)> RunNetworkedPodAsync(string name, Action<PodSandboxConfig>? configure = null) =>
        RunPodAsync(name, c =>
        {
            c.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Pod;
            configure?.Invoke(c);
        });

    [Fact]
    public async Task TwoContainers_ShareNetIpcUtsOfThePod_ButNotMount()
    {
        var pod = await RunNetworkedPodAsync("shared");
        var script = "for n in net ipc uts mnt; do echo $n $(readlink /proc/self/ns/$n); done; hostname; sleep 1000";
        var a = await RunAsync(pod, BusyboxConfig("a", "sh", "-c", script));
        var b = await RunAsync(pod, BusyboxConfig("b", "sh", "-c", script));
        var logA = LogText(await WaitForLogAsync((await StatusAsync(a)).LogPath, "shared"));
        var logB = LogText(await WaitForLogAsync((await StatusAsync(b)).LogPath, "shared"));
        string Ns(string log, string kind) => log.Split('\n').Single(l => l.StartsWith(kind + " ", StringComparison.Ordinal)).Split(' ')[1];
        foreach (var kind in new[] { "net", "ipc", "uts" }) Assert.Equal(Ns(logA, kind), Ns(logB, kind));
        Assert.NotEqual(Ns(logA, "mnt"), Ns(logB, "mnt"));
        // ...and it is the pod's network namespace, with the pod's IP on eth0.
        var podStatus = (await Daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = pod.Id })).Status;
        var netnsInode = new FileInfo(Path.Combine(Daemon.Settings.RunRoot, "netns", pod.Id));
        Assert.Contains("net:[", Ns(logA, "net"));
        var (_, addr, _) = HostCommand.Run("nsenter", ["--net=" + netnsInode.FullName, "ip", "-4", "-o", "addr", "show", "eth0"]);
        Assert.Contains(podStatus.Network.Ip, addr);
        Assert.NotEqual(new FileInfo("/proc/self/ns/net").LinkTarget, Ns(logA, "net"));
        await StopRemovePodAsync(pod.Id);
    }

    [Theory]
    [InlineData(NamespaceMode.Pod)]
    [InlineData(NamespaceMode.Container)]
    [InlineData(NamespaceMode.Node)]
    public async Task TwoContainers_PidNamespaceMode_SharedWithPodOwnOrHost(NamespaceMode mode)
    {
        var pod = await RunNetworkedPodAsync("pid-" + mode.ToString().ToLowerInvariant(), c => c.Linux.SecurityContext.NamespaceOptions.Pid = mode);
        var script = "echo pidns $(readlink /proc/self/ns/pid); echo init $(tr '\\0' ' ' < /proc/1/cmdline); echo self $$; sleep 1000";
        ContainerConfig Config(string name)
        {
            var config = BusyboxConfig(name, "sh", "-c", script);
            config.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Pid = mode, Network = NamespaceMode.Pod };
            return config;
        }
        var a = await RunAsync(pod, Config("a"));
        var b = await RunAsync(pod, Config("b"));
        var logA = LogText(await WaitForLogAsync((await StatusAsync(a)).LogPath, "self"));
        var logB = LogText(await WaitForLogAsync((await StatusAsync(b)).LogPath, "self"));
        string Line(string log, string key) => log.Split('\n').Single(l => l.StartsWith(key + " ", StringComparison.Ordinal))[(key.Length + 1)..];
        // The test runs in the host's PID namespace (PID 1's own links are not readable in every sandbox).
        var hostPidNs = new FileInfo("/proc/self/ns/pid").LinkTarget;
        Assert.StartsWith("pid:[", hostPidNs);
        switch (mode)
        {
            case NamespaceMode.Pod:
                // One namespace for the pod, whose PID 1 is the pause process.
                Assert.Equal(Line(logA, "pidns"), Line(logB, "pidns"));
                Assert.Contains("pause", Line(logA, "init"));
                Assert.NotEqual(hostPidNs, Line(logA, "pidns"));
                break;
            case NamespaceMode.Container:
                // Each container its own namespace, its own command as PID 1.
                Assert.NotEqual(Line(logA, "pidns"), Line(logB, "pidns"));
                Assert.Equal("1", Line(logA, "self"));
                Assert.Equal("1", Line(logB, "self"));
                break;
            case NamespaceMode.Node:
                Assert.Equal(hostPidNs, Line(logA, "pidns"));
                Assert.Equal(hostPidNs, Line(logB, "pidns"));
                break;
        }
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task PodFiles_HostnameHostsResolvConfAndShm_SeenByItsContainers()
    {
        var pod = await RunNetworkedPodAsync("files", c => c.DnsConfig = new DNSConfig
        {
            Servers = { "10.96.0.10" },
            Searches = { "default.svc.cluster.local" },
            Options = { "ndots:5", "timeout:2" },
        });
        var writer = await RunAsync(pod, BusyboxConfig("writer", "sh", "-c", "echo from-writer > /dev/shm/shared; echo written; sleep 1000"));
        await WaitForLogAsync((await StatusAsync(writer)).LogPath, "written");
        var reader = BusyboxConfig("reader", "sh", "-c", "hostname; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; cat /dev/shm/shared");
        var (status, text) = await RunToExitAsync(pod, reader);
        Assert.Equal(0, status.ExitCode);
        var parts = text.Split("---\n");
        Assert.Equal("files\n", parts[0]);
        Assert.Contains("127.0.0.1\tlocalhost\n", parts[1]);
        Assert.Contains("\tfiles\n", parts[1]);
        Assert.Equal("search default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5 timeout:2\n", parts[2]);
        // /dev/shm is the pod's, not a tmpfs per container: what one container wrote, the other reads.
        Assert.Equal("from-writer\n", parts[3]);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task Cycles_200CreateStartStopRemove_LeaveNothingBehind()
    {
        var pod = await RunNetworkedPodAsync("cycles");
        // One cycle first so lazily created daemon state (fds, dirs) is in the baseline.
        await CycleAsync(pod, "warmup");
        var before = LeakCheck.Take(Daemon, BridgeNetwork, CgroupParent);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++) await CycleAsync(pod, $"c{worker}-{i}");
        })));
        Output.WriteLine($"200 cycles in {started.Elapsed.TotalSeconds:F1} s");
        Assert.Empty((await Daemon.Runtime.ListContainersAsync(new ListContainersRequest())).Containers);
        LeakCheck.Take(Daemon, BridgeNetwork, CgroupParent).AssertSameAs(before);
        await StopRemovePodAsync(pod.Id);
    }

    private async Task CycleAsync((string Id, PodSandboxConfig Config) pod, string name)
    {
        var id = await RunAsync(pod, BusyboxConfig(name, "sleep", "1000"));
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 10 });
        Assert.Equal(ContainerState.ContainerExited, (await StatusAsync(id)).State);
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
    }
}

/// <summary>The same tests with runc as the pod's runtime handler (the 200 cycles take ~7 s on runc, ~6 s on ours).</summary>
public sealed class RuncContainerPodTests(ITestOutputHelper output, ContainerImages images) : ContainerPodTests(output, images)
{
    protected override string Handler => "runc";
}
