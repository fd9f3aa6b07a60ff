using System.Text.Json;
using CriRuntime.Oci;

namespace CriRuntime.Tests.Oci;

public sealed class PauseSpecBuilderTests
{
    private static PauseSpecInput Input() => new()
    {
        SandboxId = "abc",
        RootfsPath = "/run/criruntime/pause/rootfs",
        PauseArgs0 = "/pause",
        Hostname = "web-0",
        NetnsPath = "/run/criruntime/netns/abc",
        ShmPath = "/run/criruntime/sandboxes/abc/shm",
        CgroupsPath = "/kubepods/pod1/abc",
        Uid = 65535,
        Gid = 65535,
        OomScoreAdj = -998,
    };

    [Fact]
    public void Build_PodNamespaces_JoinsPinnedNetnsAndCreatesTheRest()
    {
        var spec = PauseSpecBuilder.Build(Input());

        var ns = spec.Linux.Namespaces.ToDictionary(n => n.Type, n => n.Path);
        Assert.Equal("/run/criruntime/netns/abc", ns["network"]);
        Assert.Null(ns["ipc"]);
        Assert.Null(ns["uts"]);
        Assert.Null(ns["pid"]);
        Assert.Null(ns["mount"]);
        Assert.Equal("web-0", spec.Hostname);
        Assert.Equal("/run/criruntime/sandboxes/abc/shm", spec.Mounts.Single(m => m.Destination == "/dev/shm").Source);
    }

    [Fact]
    public void Build_HostNamespaces_LeavesThemOut()
    {
        var spec = PauseSpecBuilder.Build(Input() with { NetnsPath = null, HostIpc = true, ShmPath = null, Pid = NamespaceSharing.Node });

        var types = spec.Linux.Namespaces.Select(n => n.Type).ToList();
        Assert.Equal(["mount"], types);
        Assert.Null(spec.Hostname);
        Assert.Equal("/dev/shm", spec.Mounts.Single(m => m.Destination == "/dev/shm").Source);
    }

    [Fact]
    public void Build_Security_ReadonlyRootNoPrivilegesUserAndCgroup()
    {
        var spec = PauseSpecBuilder.Build(Input() with { Seccomp = SeccompMode.RuntimeDefault, Sysctls = new Dictionary<string, string> { ["net.ipv4.ip_forward"] = "1" } });

        Assert.True(spec.Root.Readonly);
        Assert.True(spec.Process.NoNewPrivileges);
        Assert.Empty(spec.Process.Capabilities!.Bounding);
        Assert.Equal(65535u, spec.Process.User.Uid);
        Assert.Equal(["/pause"], spec.Process.Args);
        Assert.Equal(-998, spec.Process.OomScoreAdj);
        Assert.Equal("/kubepods/pod1/abc", spec.Linux.CgroupsPath);
        Assert.Equal("1", spec.Linux.Sysctl!["net.ipv4.ip_forward"]);
        // The default profile is an allow-list: mount is refused because the pause holds no CAP_SYS_ADMIN.
        Assert.Equal("SCMP_ACT_ERRNO", spec.Linux.Seccomp!.DefaultAction);
        Assert.DoesNotContain(spec.Linux.Seccomp.Syscalls, s => s.Action == "SCMP_ACT_ALLOW" && s.Names.Contains("mount"));
    }

    [Fact]
    public void Serialize_UsesOciFieldNamesAndOmitsNulls()
    {
        var json = JsonSerializer.Serialize(PauseSpecBuilder.Build(Input()), OciJsonContext.Default.RuntimeSpec);

        using var doc = JsonDocument.Parse(json);
        Assert.Equal("1.0.2", doc.RootElement.GetProperty("ociVersion").GetString());
        Assert.True(doc.RootElement.GetProperty("root").GetProperty("readonly").GetBoolean());
        Assert.Equal(-998, doc.RootElement.GetProperty("process").GetProperty("oomScoreAdj").GetInt32());
        Assert.False(doc.RootElement.GetProperty("linux").TryGetProperty("seccomp", out _));
        Assert.Equal("network", doc.RootElement.GetProperty("linux").GetProperty("namespaces")[1].GetProperty("type").GetString());
    }

    [Fact]
    public void Build_PauseImage_RunsItsCommandAndEnvironment()
    {
        var builtIn = PauseSpecBuilder.Build(Input());
        var fromImage = PauseSpecBuilder.Build(Input() with { Args = ["/pause", "-v"], Env = ["PATH=/bin", "A=b"] });

        Assert.Equal(["/pause"], builtIn.Process.Args);
        Assert.Equal(["PATH=/"], builtIn.Process.Env);
        Assert.Equal(["/pause", "-v"], fromImage.Process.Args);
        Assert.Equal(["PATH=/bin", "A=b"], fromImage.Process.Env);
        Assert.True(fromImage.Root.Readonly);
    }
}
