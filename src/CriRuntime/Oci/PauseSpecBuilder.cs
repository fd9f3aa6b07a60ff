namespace CriRuntime.Oci;

/// <summary>The pause container's config.json: pure, records in, spec out.</summary>
internal static class PauseSpecBuilder
{
    private static readonly List<string> MaskedPaths =
    [
        "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
        "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    ];

    private static readonly List<string> ReadonlyPaths =
        ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public static RuntimeSpec Build(PauseSpecInput input)
    {
        var namespaces = new List<SpecNamespace> { new("mount") };
        if (input.NetnsPath is not null) namespaces.Add(new("network", input.NetnsPath));
        if (!input.HostIpc) namespaces.Add(new("ipc"));
        // UTS follows the network: a host-network pod keeps the node's hostname (as kubelet expects).
        var ownUts = input.NetnsPath is not null;
        if (ownUts) namespaces.Add(new("uts"));
        if (input.Pid != NamespaceSharing.Node) namespaces.Add(new("pid"));

        return new RuntimeSpec
        {
            Process = new SpecProcess
            {
                User = new SpecUser(input.Uid, input.Gid)
                {
                    AdditionalGids = input.SupplementalGroups.Count == 0 ? null : [.. input.SupplementalGroups],
                },
                Args = input.Args is { } args ? [.. args] : [input.PauseArgs0],
                Env = input.Env is { Count: > 0 } env ? [.. env] : ["PATH=/"],
                // The pause needs no privilege at all: empty capability sets, no setuid gains.
                Capabilities = new SpecCapabilities(),
                NoNewPrivileges = true,
                OomScoreAdj = input.OomScoreAdj,
            },
            Root = new SpecRoot(input.RootfsPath, Readonly: true),
            Hostname = ownUts && input.Hostname.Length > 0 ? input.Hostname : null,
            Mounts = Mounts(input),
            Annotations = new Dictionary<string, string>
            {
                ["io.kubernetes.cri.container-type"] = "sandbox",
                ["io.kubernetes.cri.sandbox-id"] = input.SandboxId,
            },
            Linux = new SpecLinux
            {
                Namespaces = namespaces,
                Sysctl = input.Sysctls.Count == 0 ? null : new Dictionary<string, string>(input.Sysctls),
                Resources = new SpecResources { Devices = [new SpecDeviceRule(false, "rwm")] },
                CgroupsPath = input.CgroupsPath,
                Seccomp = input.Seccomp == SeccompMode.RuntimeDefault ? SeccompProfiles.RuntimeDefault() : null,
                MaskedPaths = MaskedPaths,
                ReadonlyPaths = ReadonlyPaths,
            },
        };
    }

    private static List<SpecMount> Mounts(PauseSpecInput input) =>
    [
        new("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
        new("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        input.ShmPath is null
            ? new("/dev/shm", "bind", "/dev/shm", ["rbind", "nosuid", "noexec", "nodev"])
            : new("/dev/shm", "bind", input.ShmPath, ["rbind", "nosuid", "noexec", "nodev"]),
    ];
}
