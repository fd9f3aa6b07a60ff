using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>Containers in pods with a network of their own (a bridge of the test's own), and many cycles of them.</summary>
public sealed class ContainerPodTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    private PodNetwork? _network;

    protected override void Configure(DaemonSettings settings)
    {
        settings.CniPluginDirs.Add("/usr/lib/cni");
        _network = PodNetwork.For(settings, portmap: false);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _network?.Dispose();
    }

    private Task<(string Id, PodSandboxConfig Config)> RunNetworkedPodAsync(string name) =>
        RunPodAsync(name, c => c.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Pod);

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

    [Fact]
    public async Task Cycles_200CreateStartStopRemove_LeaveNothingBehind()
    {
        var pod = await RunNetworkedPodAsync("cycles");
        // One cycle first so lazily created daemon state (fds, dirs) is in the baseline.
        await CycleAsync(pod, "warmup");
        var before = LeakCheck.Take(Daemon, _network, CgroupParent);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++) await CycleAsync(pod, $"c{worker}-{i}");
        })));
        Output.WriteLine($"200 cycles in {started.Elapsed.TotalSeconds:F1} s");
        Assert.Empty((await Daemon.Runtime.ListContainersAsync(new ListContainersRequest())).Containers);
        LeakCheck.Take(Daemon, _network, CgroupParent).AssertSameAs(before);
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
