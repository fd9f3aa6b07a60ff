using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Oci;
using static CriRuntime.Tests.Oci.ContainerSpecTestInput;

namespace CriRuntime.Tests.Oci;

public sealed class ContainerSpecBuilderTests
{
    private static RuntimeSpec Build(ContainerConfig config) => ContainerSpecBuilder.Build(Input(config)).Spec;

    [Theory]
    [InlineData(NamespaceMode.Pod, "/proc/4242/ns/pid")]
    [InlineData(NamespaceMode.Container, null)]
    public void Namespaces_PidModes_JoinOrCreate(NamespaceMode pid, string? expected)
    {
        var spec = Build(With(c => c.Sc().NamespaceOptions.Pid = pid));

        var ns = spec.Linux.Namespaces.ToDictionary(n => n.Type, n => n.Path);
        Assert.Equal(expected, ns["pid"]);
        Assert.Equal("/run/netns/cni-1", ns["network"]);
        Assert.Equal("/proc/4242/ns/ipc", ns["ipc"]);
        Assert.Equal("/proc/4242/ns/uts", ns["uts"]);
        Assert.Null(ns["mount"]);
        Assert.Null(spec.Hostname);
    }

    [Fact]
    public void Namespaces_Target_JoinsTargetContainersPid()
    {
        var config = With(c => c.Sc().NamespaceOptions = new NamespaceOption { Pid = NamespaceMode.Target, TargetId = "t1" });

        var spec = ContainerSpecBuilder.Build(Input(config) with { Pod = Input().Pod with { TargetPid = 777 } }).Spec;

        Assert.Equal("/proc/777/ns/pid", spec.Linux.Namespaces.Single(n => n.Type == "pid").Path);
        Assert.Throws<NotFoundException>(() => ContainerSpecBuilder.Build(Input(config)));
    }

    [Fact]
    public void Namespaces_Host_HaveNoEntry_AndHostnameIsTheNodes()
    {
        var config = With(c => c.Sc().NamespaceOptions = new NamespaceOption
        {
            Network = NamespaceMode.Node,
            Ipc = NamespaceMode.Node,
            Pid = NamespaceMode.Node,
        });
        var input = Input(config) with { NodeHostname = "node-1" };
        input.Pod.Config.Hostname = "";

        var spec = ContainerSpecBuilder.Build(input with { Pod = input.Pod with { NetnsPath = null, ShmPath = null } }).Spec;

        Assert.Equal(["mount"], spec.Linux.Namespaces.Select(n => n.Type));
        Assert.Contains("HOSTNAME=node-1", spec.Process.Env);
        Assert.Equal("/dev/shm", spec.Mounts.Single(m => m.Destination == "/dev/shm").Source);
    }

    [Fact]
    public void Capabilities_Default_AreTheNinePeerDefaults()
    {
        var caps = Build(Config()).Process.Capabilities!;

        Assert.Equal(ContainerCapabilities.Defaults, caps.Bounding);
        Assert.Equal(caps.Bounding, caps.Effective);
        Assert.Equal(caps.Bounding, caps.Permitted);
        Assert.Empty(caps.Inheritable);
        Assert.Equal(9, caps.Effective.Count);
    }

    [Fact]
    public void Capabilities_AddAllDropOne_IsHostSetMinusIt()
    {
        var spec = Build(With(c => c.Sc().Capabilities = new Capability { AddCapabilities = { "ALL" }, DropCapabilities = { "CHOWN" } }));

        Assert.Equal(HostCaps.Where(c => c != "CAP_CHOWN"), spec.Process.Capabilities!.Effective);
        Assert.DoesNotContain("CAP_SYS_RESOURCE", spec.Process.Capabilities.Effective);
    }

    [Fact]
    public void Capabilities_DropAllAddOne_AndAmbient()
    {
        var spec = Build(With(c => c.Sc().Capabilities = new Capability
        {
            DropCapabilities = { "all" },
            AddCapabilities = { "net_raw" },
            AddAmbientCapabilities = { "CAP_NET_BIND_SERVICE" },
        }));

        Assert.Equal(["CAP_NET_RAW", "CAP_NET_BIND_SERVICE"], spec.Process.Capabilities!.Effective);
        Assert.Equal(["CAP_NET_BIND_SERVICE"], spec.Process.Capabilities.Ambient);
        Assert.Equal(["CAP_NET_BIND_SERVICE"], spec.Process.Capabilities.Inheritable);
    }

    [Theory]
    [InlineData("SYS_RESOURCE")]
    [InlineData("NOT_A_CAP")]
    public void Capabilities_UnknownOrNotOnHost_IsInvalidArgument(string cap)
    {
        Assert.Throws<InvalidArgumentException>(() => Build(With(c => c.Sc().Capabilities = new Capability { AddCapabilities = { cap } })));
    }

    [Fact]
    public void Privileged_HostCapsAllDevicesNoMasksRwSysUnconfined()
    {
        var config = With(c =>
        {
            c.Sc().Privileged = true;
            c.Sc().Capabilities = new Capability { DropCapabilities = { "ALL" } };
        });
        var input = Input(config);
        input.Pod.Config.Linux.SecurityContext = new LinuxSandboxSecurityContext { Privileged = true };

        var spec = ContainerSpecBuilder.Build(input).Spec;

        Assert.Equal(HostCaps, spec.Process.Capabilities!.Effective);
        Assert.Null(spec.Linux.MaskedPaths);
        Assert.Null(spec.Linux.ReadonlyPaths);
        Assert.Null(spec.Linux.Seccomp);
        Assert.Contains("rw", spec.Mounts.Single(m => m.Destination == "/sys").Options);
        Assert.Contains("rw", spec.Mounts.Single(m => m.Destination == "/sys/fs/cgroup").Options);
        var rule = Assert.Single(spec.Linux.Resources!.Devices!);
        Assert.True(rule.Allow);
        Assert.Equal("rwm", rule.Access);
    }

    [Fact]
    public void Privileged_InUnprivilegedPod_IsInvalidArgument()
    {
        Assert.Throws<InvalidArgumentException>(() => Build(With(c => c.Sc().Privileged = true)));
    }

    [Fact]
    public void Default_MaskedAndReadonlyPaths_SysReadonly_CriListsReplaceThem()
    {
        var spec = Build(Config());
        Assert.Equal(ContainerSecurity.DefaultMaskedPaths, spec.Linux.MaskedPaths);
        Assert.Equal(ContainerSecurity.DefaultReadonlyPaths, spec.Linux.ReadonlyPaths);
        Assert.Contains("ro", spec.Mounts.Single(m => m.Destination == "/sys").Options);

        var custom = Build(With(c =>
        {
            c.Sc().MaskedPaths.Add("/proc/kcore");
            c.Sc().ReadonlyPaths.Add("/proc/sys");
        }));
        Assert.Equal(["/proc/kcore"], custom.Linux.MaskedPaths);
        Assert.Equal(["/proc/sys"], custom.Linux.ReadonlyPaths);
    }

    [Fact]
    public void Seccomp_RuntimeDefault_AllowListWithEperm_CapabilityRules()
    {
        var seccomp = Build(Config()).Linux.Seccomp!;

        Assert.Equal("SCMP_ACT_ERRNO", seccomp.DefaultAction);
        Assert.Equal(1u, seccomp.DefaultErrnoRet);
        var allowed = seccomp.Syscalls.Where(s => s.Action == "SCMP_ACT_ALLOW" && s.Args is null).SelectMany(s => s.Names).ToHashSet();
        Assert.Contains("read", allowed);
        Assert.Contains("execve", allowed);
        Assert.DoesNotContain("unshare", allowed);
        Assert.DoesNotContain("mount", allowed);
        Assert.DoesNotContain("keyctl", allowed);
        Assert.Contains(seccomp.Syscalls, s => s.Names.SequenceEqual(["clone3"]) && s.ErrnoRet == 38);

        var admin = Build(With(c => c.Sc().Capabilities = new Capability { AddCapabilities = { "SYS_ADMIN" } })).Linux.Seccomp!;
        Assert.Contains(admin.Syscalls, s => s.Names.Contains("unshare") && s.Action == "SCMP_ACT_ALLOW");
        Assert.DoesNotContain(admin.Syscalls, s => s.Names.SequenceEqual(["clone3"]));
    }

    [Fact]
    public void Seccomp_UnconfinedUnsetAndLegacyPath()
    {
        Assert.Null(Build(With(c => c.Sc().Seccomp.ProfileType = SecurityProfile.Types.ProfileType.Unconfined)).Linux.Seccomp);
        Assert.Null(Build(With(c => c.Sc().Seccomp = null)).Linux.Seccomp);
        Assert.NotNull(Build(With(c =>
        {
            c.Sc().Seccomp = null;
            c.Sc().SeccompProfilePath = "runtime/default";
        })).Linux.Seccomp);
        Assert.Throws<InvalidArgumentException>(() => Build(With(c =>
        {
            c.Sc().Seccomp = null;
            c.Sc().SeccompProfilePath = "bogus";
        })));
        Assert.Throws<InvalidArgumentException>(() => Build(With(c => c.Sc().Seccomp.LocalhostRef = "/p.json")));
    }

    [Fact]
    public void Seccomp_Localhost_UsesTheLoadedProfile()
    {
        var config = With(c => c.Sc().Seccomp = new SecurityProfile
        {
            ProfileType = SecurityProfile.Types.ProfileType.Localhost,
            LocalhostRef = "/var/lib/kubelet/seccomp/p.json",
        });
        var profile = SeccompProfileLoader.Parse("""{"defaultAction":"SCMP_ACT_LOG"}""", "p.json");

        Assert.Equal("/var/lib/kubelet/seccomp/p.json", ContainerSecurity.LocalhostSeccompPath(config.Sc()));
        Assert.Same(profile, ContainerSpecBuilder.Build(Input(config) with { LocalhostSeccomp = profile }).Spec.Linux.Seccomp);
        Assert.Throws<InvalidArgumentException>(() => Build(config));
    }

    [Fact]
    public void AppArmor_WithoutAppArmor_DefaultOkSpecificProfileRefused()
    {
        Assert.Null(Build(With(c => c.Sc().Apparmor = new SecurityProfile())).Process.ApparmorProfile);
        var e = Assert.Throws<InvalidArgumentException>(() => Build(With(c => c.Sc().Apparmor = new SecurityProfile
        {
            ProfileType = SecurityProfile.Types.ProfileType.Localhost,
            LocalhostRef = "k8s-nginx",
        })));
        Assert.Contains("AppArmor is not enabled", e.Message);

        var input = Input(With(c => c.Sc().ApparmorProfile = "localhost/k8s-nginx")) with { AppArmorAvailable = true };
        Assert.Equal("k8s-nginx", ContainerSpecBuilder.Build(input).Spec.Process.ApparmorProfile);
    }

    [Fact]
    public void NoNewPrivs_ReadonlyRootfs_OomScoreAdj_Tty()
    {
        var spec = Build(With(c =>
        {
            c.Sc().NoNewPrivs = true;
            c.Sc().ReadonlyRootfs = true;
            c.Linux.Resources.OomScoreAdj = -997;
            c.Tty = true;
        }));

        Assert.True(spec.Process.NoNewPrivileges);
        Assert.True(spec.Root.Readonly);
        Assert.Equal(-997, spec.Process.OomScoreAdj);
        Assert.True(spec.Process.Terminal);
        Assert.Contains("ro", spec.Mounts.Single(m => m.Destination == "/etc/hosts").Options);
    }

    [Theory]
    [InlineData(-1001)]
    [InlineData(1001)]
    [InlineData(long.MaxValue)]
    public void OomScoreAdj_OutOfRange_IsInvalidArgument(long value)
    {
        Assert.Throws<InvalidArgumentException>(() => Build(With(c => c.Linux.Resources.OomScoreAdj = value)));
    }

    [Fact]
    public void Sysctls_FromThePod_ValidatedByPolicy()
    {
        var input = Input();
        input.Pod.Config.Linux.Sysctls["net.ipv4.ping_group_range"] = "0 65535";
        Assert.Equal("0 65535", ContainerSpecBuilder.Build(input).Spec.Linux.Sysctl!["net.ipv4.ping_group_range"]);

        input.Pod.Config.Linux.Sysctls["kernel.panic"] = "1";
        Assert.Throws<InvalidArgumentException>(() => ContainerSpecBuilder.Build(input));
    }

    [Theory]
    [InlineData("", "/criruntime/c0ffee")]
    [InlineData("/kubepods/burstable/pod1/", "/kubepods/burstable/pod1/c0ffee")]
    public void CgroupsPath_ParentSlashId(string parent, string expected)
    {
        Assert.Equal(expected, ContainerSpecBuilder.CgroupsPath(parent, "c0ffee"));
        Assert.Throws<InvalidArgumentException>(() => ContainerSpecBuilder.CgroupsPath("/a/../b", "c"));
    }

    [Fact]
    public void Golden_TypicalKubeletRequest_IsValidJsonWithExpectedShape()
    {
        var spec = Build(Config());

        var json = JsonSerializer.Serialize(spec, OciJsonContext.Default.RuntimeSpec);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("1.0.2", root.GetProperty("ociVersion").GetString());
        Assert.Equal("sh", root.GetProperty("process").GetProperty("args")[0].GetString());
        Assert.Equal(0u, root.GetProperty("process").GetProperty("user").GetProperty("uid").GetUInt32());
        Assert.Equal("/", root.GetProperty("process").GetProperty("cwd").GetString());
        Assert.Equal("/run/criruntime/containers/c0ffee/rootfs", root.GetProperty("root").GetProperty("path").GetString());
        Assert.Equal(
            ["/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev/shm"],
            root.GetProperty("mounts").EnumerateArray().Select(m => m.GetProperty("destination").GetString()));
        var linux = root.GetProperty("linux");
        Assert.Equal("/kubepods/besteffort/podu-1/c0ffee", linux.GetProperty("cgroupsPath").GetString());
        Assert.Equal("SCMP_ACT_ERRNO", linux.GetProperty("seccomp").GetProperty("defaultAction").GetString());
        Assert.Equal("SCMP_CMP_MASKED_EQ", linux.GetProperty("seccomp").GetProperty("syscalls").EnumerateArray()
            .Single(s => s.GetProperty("names")[0].GetString() == "clone").GetProperty("args")[0].GetProperty("op").GetString());
        Assert.False(linux.GetProperty("resources").GetProperty("devices")[0].GetProperty("allow").GetBoolean());
        Assert.False(linux.TryGetProperty("rootfsPropagation", out _));
        Assert.Equal("container", root.GetProperty("annotations").GetProperty("io.kubernetes.cri.container-type").GetString());
        Assert.Equal("5a11d", root.GetProperty("annotations").GetProperty("io.kubernetes.cri.sandbox-id").GetString());
    }

    [Fact]
    public void Unsupported_UserNamespacesAndCdiDevices_AreUnimplemented()
    {
        Assert.Throws<UnimplementedException>(() => Build(With(c => c.Sc().NamespaceOptions.UsernsOptions = new UserNamespace { Mode = NamespaceMode.Pod })));
        Assert.Throws<UnimplementedException>(() => Build(With(c => c.CDIDevices.Add(new CDIDevice { Name = "vendor.com/gpu=0" }))));
    }
}
