using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>
/// A daemon with a pulled busybox image (built from Debian's busybox-static, served by a real registry on
/// loopback) and pods on the host network namespace's loopback only (no CNI), so container tests need no bridge.
/// CRIRUNTIME_TEST_POD_HANDLER=runc runs the same tests on runc.
/// </summary>
[Collection("containers")]
public abstract class ContainerTestBase(ITestOutputHelper output, ContainerImages images) : IAsyncLifetime
{
    protected string CgroupParent { get; } = Pods.NewCgroupParent();
    protected CriDaemon Daemon { get; private set; } = null!;
    protected ContainerImages Images => images;
    protected TestRegistry Registry => images.Registry;
    protected string Busybox => images.Busybox;
    protected ITestOutputHelper Output => output;

    /// <summary>The runtime handler of the test's pods ("" = the daemon's default, our launcher unless overridden).</summary>
    protected virtual string Handler => "";

    /// <summary>Pods with a network namespace get a bridge network of the class's own (no portmap) instead of loopback only.</summary>
    protected virtual bool UsesBridgeNetwork => false;

    /// <summary>The bridge network, with <see cref="UsesBridgeNetwork"/>.</summary>
    protected PodNetwork? BridgeNetwork => _network;

    private PodNetwork? _network;

    /// <summary>Extra daemon settings for a test class.</summary>
    protected virtual void Configure(DaemonSettings settings)
    {
    }

    public async Task InitializeAsync()
    {
        Daemon = await CriDaemon.StartAsync(output, s =>
        {
            Pods.Configure(s);
            s.ExtraToml.Append(Registry.InsecureToml);
            if (UsesBridgeNetwork)
            {
                s.CniPluginDirs.Add("/usr/lib/cni");
                _network = PodNetwork.For(s, portmap: false);
            }
            Configure(s);
        });
        await Daemon.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = Busybox } });
    }

    public virtual async Task DisposeAsync()
    {
        await Pods.RemoveAllAsync(Daemon);
        await Daemon.DisposeAsync();
        Pods.RemoveCgroupParent(CgroupParent);
        _network?.Dispose();
    }

    /// <summary>A running busybox <c>sleep 3600</c> in a pod of its own: the target of exec, attach and stats tests.</summary>
    protected async Task<string> RunSleeperAsync(string name = "sleeper", Action<ContainerConfig>? configure = null)
    {
        var pod = await RunPodAsync(name + "-pod");
        var config = BusyboxConfig(name, "sleep", "3600");
        configure?.Invoke(config);
        return await RunAsync(pod, config);
    }

    /// <summary>The streaming URL of an Exec with stdout on (as kubectl exec asks for).</summary>
    protected async Task<string> ExecUrlAsync(string id, bool tty, bool stdin, bool stderr, params string[] cmd) =>
        (await Daemon.Runtime.ExecAsync(new ExecRequest { ContainerId = id, Cmd = { cmd }, Tty = tty, Stdin = stdin, Stdout = true, Stderr = stderr })).Url;

    /// <summary>A pod with its own network namespace (loopback only: the daemon has no CNI config here, so host network).</summary>
    protected async Task<(string Id, PodSandboxConfig Config)> RunPodAsync(string name, Action<PodSandboxConfig>? configure = null)
    {
        var config = Pods.Config(name, CgroupParent);
        config.LogDirectory = Path.Combine(Daemon.Settings.Dir, "pod-logs", config.Metadata.Uid);
        config.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Node;
        configure?.Invoke(config);
        var id = (await Daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config, RuntimeHandler = Handler })).PodSandboxId;
        return (id, config);
    }

    protected ContainerConfig BusyboxConfig(string name, params string[] command) => new()
    {
        Metadata = new ContainerMetadata { Name = name },
        Image = new ImageSpec { Image = Busybox },
        Command = { command },
        LogPath = $"{name}/0.log",
        Linux = new LinuxContainerConfig { SecurityContext = new LinuxContainerSecurityContext() },
    };

    protected async Task<string> CreateAsync((string Id, PodSandboxConfig Config) pod, ContainerConfig config) =>
        (await Daemon.Runtime.CreateContainerAsync(new CreateContainerRequest { PodSandboxId = pod.Id, Config = config, SandboxConfig = pod.Config })).ContainerId;

    protected async Task PullAsync(string image) =>
        await Daemon.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image } });

    /// <summary>Runs a container to completion and returns its status and what it wrote.</summary>
    protected async Task<(ContainerStatus Status, string Output)> RunToExitAsync((string Id, PodSandboxConfig Config) pod, ContainerConfig config)
    {
        var id = await RunAsync(pod, config);
        var status = await WaitExitedAsync(id);
        var output = LogText(File.Exists(status.LogPath) ? await File.ReadAllTextAsync(status.LogPath) : "");
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        return (status, output);
    }

    protected async Task<string> RunAsync((string Id, PodSandboxConfig Config) pod, ContainerConfig config)
    {
        var id = await CreateAsync(pod, config);
        await Daemon.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id });
        return id;
    }

    protected async Task<ContainerStatus> StatusAsync(string id) =>
        (await Daemon.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id })).Status;

    /// <summary>Waits (polling the CRI like kubelet) until the container has exited; fails after <paramref name="seconds"/>.</summary>
    protected async Task<ContainerStatus> WaitExitedAsync(string id, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var status = await StatusAsync(id);
            if (status.State == ContainerState.ContainerExited) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"container {id} still {status.State} after {seconds} s");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the container's CRI log contains <paramref name="text"/>; returns the whole log.</summary>
    protected static async Task<string> WaitForLogAsync(string path, string text, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var log = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
            if (log.Contains(text, StringComparison.Ordinal)) return log;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"log {path} has no \"{text}\" after {seconds} s: {log}");
            await Task.Delay(20);
        }
    }

    /// <summary>The lines a container wrote, from its CRI log (the fourth field onwards, partial lines joined).</summary>
    protected static string LogText(string log) =>
        string.Concat(log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l =>
        {
            var parts = l.Split(' ', 4);
            return parts.Length < 4 ? "" : parts[3] + (parts[2] == "F" ? "\n" : "");
        }));

    protected async Task StopRemovePodAsync(string podId)
    {
        await Daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = podId });
        await Daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = podId });
    }
}
