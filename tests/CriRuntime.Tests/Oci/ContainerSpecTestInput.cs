using CriRuntime.Api.V1;
using CriRuntime.Oci;
using CriRuntime.Storage;

namespace CriRuntime.Tests.Oci;

/// <summary>A typical kubelet CreateContainer request in a pod, to vary per test.</summary>
internal static class ContainerSpecTestInput
{
    /// <summary>The host's bounding set here: everything but CAP_SYS_RESOURCE.</summary>
    public static readonly string[] HostCaps =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_SYS_ADMIN",
        "CAP_SYS_PTRACE", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
    ];

    public const string Passwd = "root:x:0:0:root:/root:/bin/sh\n# comment\nbroken line\nnobody:x:65534:65534:nobody:/:/bin/false\napp:x:1000:1001::/home/app:/bin/sh\n";
    public const string Group = "root:x:0:\napp:x:1001:\nwheel:x:10:root,app\naudio:x:29:app\nnogroup:x:65534:\n";

    public static ContainerConfig Config() => new()
    {
        Metadata = new ContainerMetadata { Name = "web", Attempt = 0 },
        Image = new ImageSpec { Image = "docker.io/library/busybox:latest" },
        Linux = new LinuxContainerConfig
        {
            Resources = new LinuxContainerResources(),
            SecurityContext = new LinuxContainerSecurityContext
            {
                NamespaceOptions = new NamespaceOption { Pid = NamespaceMode.Container },
                Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
            },
        },
    };

    public static ContainerSpecInput Input(ContainerConfig? config = null, ImageConfig? image = null) => new()
    {
        ContainerId = "c0ffee",
        Config = config ?? Config(),
        Pod = new PodFacts
        {
            SandboxId = "5a11d",
            Config = new PodSandboxConfig
            {
                Metadata = new PodSandboxMetadata { Name = "web-0", Namespace = "default", Uid = "u-1" },
                Hostname = "web-0",
                Linux = new LinuxPodSandboxConfig { CgroupParent = "/kubepods/besteffort/podu-1" },
            },
            PausePid = 4242,
            NetnsPath = "/run/netns/cni-1",
            CgroupParent = "/kubepods/besteffort/podu-1",
            HostnamePath = "/run/criruntime/sandboxes/5a11d/hostname",
            HostsPath = "/run/criruntime/sandboxes/5a11d/hosts",
            ResolvConfPath = "/run/criruntime/sandboxes/5a11d/resolv.conf",
            ShmPath = "/run/criruntime/sandboxes/5a11d/shm",
        },
        Image = image ?? new ImageConfig { Cmd = ["sh"], Env = ["PATH=/usr/local/bin:/usr/bin:/bin"] },
        ImageName = "docker.io/library/busybox:latest",
        RootfsPath = "/run/criruntime/containers/c0ffee/rootfs",
        VolumesDir = "/var/lib/criruntime/containers/c0ffee/volumes",
        PasswdText = Passwd,
        GroupText = Group,
        HostCapabilities = HostCaps,
    };

    public static ContainerConfig With(Action<ContainerConfig> change)
    {
        var c = Config();
        change(c);
        return c;
    }

    public static LinuxContainerSecurityContext Sc(this ContainerConfig c) => c.Linux.SecurityContext;
}
