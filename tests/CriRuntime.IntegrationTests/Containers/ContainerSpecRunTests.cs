using System.Diagnostics;
using System.Text.Json.Nodes;
using CriRuntime.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>
/// The config.json ContainerSpecBuilder makes for a typical kubelet request (the golden file its unit test keeps
/// byte-identical to the builder's output) runs under runc and under criruntime-launch: joining a pod's
/// namespaces, as root with exactly the default capabilities, seeing the pod's hostname; and the locked-down one runs
/// as nobody with no capabilities, a read-only root and bind mount, and a seccomp filter that refuses unshare.
/// </summary>
public sealed class ContainerSpecRunTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crt-spec-").FullName;
    private readonly string _cgroupParent = Pods.NewCgroupParent();
    private Process? _pause;

    public void Dispose()
    {
        if (_pause is { HasExited: false })
        {
            _pause.Kill();
            _pause.WaitForExit();
        }
        _pause?.Dispose();
        Pods.RemoveCgroupParent(_cgroupParent);
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("criruntime-launch")]
    public void GeneratedSpec_TypicalRequest_RunsWithPodNamespacesDefaultCapsAndHostname(string runtime)
    {
        var bundle = PrepareBundle("container-config.json",
            "id; grep -E '^(CapEff|CapBnd)' /proc/self/status; echo hostname=$(hostname); echo etc-hostname=$(cat /etc/hostname); " +
            "env | grep ^HOSTNAME=; echo netns=$(readlink /proc/self/ns/net); echo seccomp=$(grep ^Seccomp: /proc/self/status | cut -f2)");

        var stdout = Run(runtime, bundle);

        Assert.Contains("uid=0(root) gid=0(root) groups=0(root),10(wheel)", stdout);
        // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE: bits 0,1,3-8,10.
        Assert.Contains("CapEff:\t00000000000005fb", stdout);
        Assert.Contains("CapBnd:\t00000000000005fb", stdout);
        Assert.Contains("hostname=web-0", stdout);
        Assert.Contains("etc-hostname=web-0", stdout);
        Assert.Contains("HOSTNAME=web-0", stdout);
        Assert.Contains("netns=" + Link($"/proc/{_pause!.Id}/ns/net"), stdout);
        Assert.Contains("seccomp=2", stdout);
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("criruntime-launch")]
    public void GeneratedSpec_RestrictedRequest_NonRootNoCapsReadonlyAndSeccompRefusesUnshare(string runtime)
    {
        const string probe = "id; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; touch /x 2>/dev/null && echo rootfs=rw || echo rootfs=ro; " +
            "cat /data/hello; touch /data/y 2>/dev/null && echo data=rw || echo data=ro; " +
            "unshare -U true 2>/dev/null && echo unshare=allowed || echo unshare=refused";
        var bundle = PrepareBundle("container-config-restricted.json", probe);

        var stdout = Run(runtime, bundle);

        Assert.Contains("uid=65534(nobody) gid=65534(nogroup) groups=4000,65534(nogroup)", stdout);
        Assert.Contains("CapEff:\t0000000000000000", stdout);
        Assert.Contains("NoNewPrivs:\t1", stdout);
        Assert.Contains("rootfs=ro", stdout);
        Assert.Contains("hello from the host", stdout);
        Assert.Contains("data=ro", stdout);
        Assert.Contains("unshare=refused", stdout);

        // The control: the same spec without the seccomp filter lets this unprivileged user create a user namespace,
        // so it is the default profile that refused it above.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!;
        config["linux"]!.AsObject().Remove("seccomp");
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());
        Assert.Contains("unshare=allowed", Run(runtime, bundle));
    }

    private string Run(string runtime, string bundle)
    {
        var binary = runtime == "runc" ? "runc" : Pods.Launcher;
        var id = "spec-" + Guid.NewGuid().ToString("N")[..8];
        var (code, stdout, stderr) = HostCommand.Run(binary, "--root", Path.Combine(_dir, "state"), "run", "--bundle", bundle, id);
        output.WriteLine($"{runtime} exit {code}\n{stdout}\n{stderr}");
        Assert.Equal(0, code);
        return stdout;
    }

    private static string Link(string path) => new FileInfo(path).LinkTarget ?? "";

    private string PrepareBundle(string golden, string probe)
    {
        var rootfs = Path.Combine(_dir, "rootfs");
        HostCommand.Check(Path.Combine(RepoRoot(), "hack", "build-test-rootfs.sh"), rootfs);
        File.AppendAllText(Path.Combine(rootfs, "etc", "group"), "wheel:x:10:root\n");

        // The pod: a process in its own network, IPC and UTS namespaces, with the pod's hostname set.
        _pause = HostCommand.Start("unshare", "--uts", "--ipc", "--net", "--", "busybox", "sh", "-c", "hostname web-0 && exec sleep 120");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (File.ReadAllText($"/proc/{_pause.Id}/comm").Trim() != "sleep")
        {
            Assert.True(DateTime.UtcNow < deadline, "the pod process did not start");
            Thread.Sleep(10);
        }
        var podDir = Directory.CreateDirectory(Path.Combine(_dir, "pod")).FullName;
        File.WriteAllText(Path.Combine(podDir, "hostname"), "web-0\n");
        File.WriteAllText(Path.Combine(podDir, "hosts"), "127.0.0.1\tlocalhost\n");
        File.WriteAllText(Path.Combine(podDir, "resolv.conf"), "");
        Directory.CreateDirectory(Path.Combine(podDir, "shm"));

        var data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        File.WriteAllText(Path.Combine(data, "hello"), "hello from the host\n");

        var text = File.ReadAllText(Path.Combine(RepoRoot(), "tests", "CriRuntime.Tests", "Oci", "testdata", golden))
            .Replace("/srv/spec-data", data, StringComparison.Ordinal)
            .Replace("/run/criruntime/containers/c0ffee/rootfs", rootfs, StringComparison.Ordinal)
            .Replace("/run/criruntime/sandboxes/5a11d", podDir, StringComparison.Ordinal)
            .Replace("/run/netns/cni-1", $"/proc/{_pause.Id}/ns/net", StringComparison.Ordinal)
            .Replace("/proc/4242/", $"/proc/{_pause.Id}/", StringComparison.Ordinal)
            .Replace("/kubepods/besteffort/podu-1", _cgroupParent, StringComparison.Ordinal);
        var spec = JsonNode.Parse(text)!;
        spec["process"]!["args"] = new JsonArray("sh", "-c", probe);
        var bundle = Directory.CreateDirectory(Path.Combine(_dir, "bundle")).FullName;
        File.WriteAllText(Path.Combine(bundle, "config.json"), spec.ToJsonString());
        return bundle;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CriRuntime.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root");
    }
}
