using CriRuntime.Api.V1;

namespace CriRuntime.IntegrationTests.Harness;

/// <summary>What tests that run pods need: daemon settings, pod configs, commands inside a pod's netns.</summary>
public static class Pods
{
    private static readonly Lazy<string> PauseBinary = new(() => LocateNative("pause", "criruntime-pause"));
    private static readonly Lazy<string> LauncherBinary = new(() => LocateNative("launcher", "criruntime-launch"));

    /// <summary>Our static pause binary, built from src/pause if this checkout has not built it yet.</summary>
    public static string Pause => PauseBinary.Value;

    /// <summary>Our OCI runtime, built from src/launcher if this checkout has not built it yet.</summary>
    public static string Launcher => LauncherBinary.Value;

    /// <summary>The handler pod tests use by default: our launcher; CRIRUNTIME_TEST_POD_HANDLER=runc runs them on runc.</summary>
    public static string DefaultHandler { get; } = Environment.GetEnvironmentVariable("CRIRUNTIME_TEST_POD_HANDLER") ?? "criruntime";

    /// <summary>
    /// Pods through <see cref="DefaultHandler"/>, the pause binary of this checkout, and state dirs of the daemon's
    /// own for both handlers ("criruntime" = this checkout's launcher, "runc").
    /// </summary>
    public static void Configure(DaemonSettings s)
    {
        s.DefaultHandler = DefaultHandler;
        s.PauseBinary = PauseBinary.Value;
        s.RuncRoot = Path.Combine(s.Dir, "runc");
        s.Launcher = (Launcher, Path.Combine(s.Dir, "launch"));
    }

    /// <summary>
    /// Stops and removes every pod the daemon still has (a failed test leaves its pods running, and pods outlive
    /// the daemon by design). Call before disposing the daemon.
    /// </summary>
    public static async Task RemoveAllAsync(CriDaemon daemon)
    {
        try
        {
            foreach (var pod in (await daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items)
            {
                await daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod.Id });
                await daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod.Id });
            }
        }
        catch (global::Grpc.Core.RpcException)
        {
            // The daemon is gone or broken; the test already failed and says why.
        }
    }

    /// <summary>A cgroup parent of the test's own, e.g. "/crt-test-1a2b3c".</summary>
    public static string NewCgroupParent() => "/crt-test-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Deletes the test's cgroup parent in every hierarchy (runc leaves the parent directory).</summary>
    public static void RemoveCgroupParent(string parent)
    {
        foreach (var h in Directory.GetDirectories("/sys/fs/cgroup"))
        {
            try
            {
                if (Directory.Exists(h + parent)) Directory.Delete(h + parent);
            }
            catch (IOException)
            {
                // Not empty: the test's leak check reports what is left.
            }
        }
    }

    public static PodSandboxConfig Config(string name, string? cgroupParent = null, string? uid = null) => new()
    {
        Metadata = new PodSandboxMetadata { Name = name, Namespace = "default", Uid = uid ?? Guid.NewGuid().ToString(), Attempt = 0 },
        Hostname = name,
        Labels = { ["app"] = name },
        Linux = new LinuxPodSandboxConfig
        {
            CgroupParent = cgroupParent ?? "",
            SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = new NamespaceOption() },
        },
    };

    /// <summary>Runs busybox inside a pinned netns (the pod's network as its containers will see it).</summary>
    public static (int ExitCode, string Stdout, string Stderr) InNetns(string netnsPath, params string[] busyboxArgs) =>
        HostCommand.Run("nsenter", ["--net=" + netnsPath, "busybox", .. busyboxArgs]);

    private static string LocateNative(string srcDir, string name)
    {
        var outDir = Environment.GetEnvironmentVariable("CRIRUNTIME_TEST_OUT");
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "CriRuntime.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException("cannot find the repository root");
        outDir = string.IsNullOrEmpty(outDir) ? Path.Combine(root.FullName, "out", "bin") : outDir;
        var binary = Path.Combine(outDir, name);
        if (!File.Exists(binary))
        {
            HostCommand.Check("make", "-C", Path.Combine(root.FullName, "src", srcDir), "OUT=" + outDir);
        }
        return binary;
    }
}
