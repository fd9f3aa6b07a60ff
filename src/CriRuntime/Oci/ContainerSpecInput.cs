using CriRuntime.Api.V1;
using CriRuntime.Storage;

namespace CriRuntime.Oci;

/// <summary>
/// Everything a container's config.json depends on. The lifecycle code gathers these facts (the pod record, the
/// image, files read from the rootfs, host facts) and <see cref="ContainerSpecBuilder"/> turns them into a spec
/// without touching the host.
/// </summary>
internal sealed record ContainerSpecInput
{
    public required string ContainerId { get; init; }
    public required ContainerConfig Config { get; init; }
    public required PodFacts Pod { get; init; }

    /// <summary>The image's config (Entrypoint, Cmd, Env, WorkingDir, User, Volumes), or null for none.</summary>
    public ImageConfig? Image { get; init; }

    /// <summary>The image name and id as the annotations report them.</summary>
    public string ImageName { get; init; } = "";

    /// <summary>Where the container's root filesystem is mounted (the bundle's rootfs).</summary>
    public required string RootfsPath { get; init; }

    /// <summary>The container's own host dir for image volumes: each volume is an empty dir below it.</summary>
    public required string VolumesDir { get; init; }

    /// <summary>The rootfs's /etc/passwd and /etc/group as text (null when the image has none).</summary>
    public string? PasswdText { get; init; }
    public string? GroupText { get; init; }

    /// <summary>The host's capability bounding set ("CAP_CHOWN", ...): what ALL and privileged mean here.</summary>
    public required IReadOnlyList<string> HostCapabilities { get; init; }

    /// <summary>Device nodes resolved on the host for the CRI devices (and all of /dev for privileged).</summary>
    public IReadOnlyList<HostDevice> HostDevices { get; init; } = [];

    /// <summary>A Localhost seccomp profile, parsed and validated by <see cref="SeccompProfileLoader"/>.</summary>
    public SpecSeccomp? LocalhostSeccomp { get; init; }

    /// <summary>Whether the host kernel has AppArmor (/sys/module/apparmor exists).</summary>
    public bool AppArmorAvailable { get; init; }

    /// <summary>Whether cgroup v2 is the host's hierarchy (unified resources only apply there).</summary>
    public bool CgroupV2 { get; init; }

    /// <summary>Whether the kernel accounts swap (memory.memsw.* on v1, memory.swap.max on v2).</summary>
    public bool SwapAvailable { get; init; } = true;

    /// <summary>Whether the hugetlb cgroup controller exists (it does not on this dev VM).</summary>
    public bool HugetlbAvailable { get; init; } = true;

    /// <summary>pids.max for every container (CRI has no per-container field; CRI-O's pids_limit), or null.</summary>
    public long? PidsLimit { get; init; }

    /// <summary>The node's hostname, for HOSTNAME of host-network pods.</summary>
    public string NodeHostname { get; init; } = "";
}

/// <summary>What a container needs to know about its pod.</summary>
internal sealed record PodFacts
{
    public required string SandboxId { get; init; }
    public required PodSandboxConfig Config { get; init; }

    /// <summary>The pause process: its /proc/&lt;pid&gt;/ns/* are the namespaces the container joins.</summary>
    public required int PausePid { get; init; }

    /// <summary>The pinned netns (null for host network): joined by path, so it survives a pause restart.</summary>
    public string? NetnsPath { get; init; }

    /// <summary>The pod's cgroup parent (CRI cgroup_parent), cgroupfs form; empty means "/criruntime".</summary>
    public string CgroupParent { get; init; } = "";

    /// <summary>The pod's files: run_root/sandboxes/&lt;id&gt;/{hostname,hosts,resolv.conf}.</summary>
    public required string HostnamePath { get; init; }
    public required string HostsPath { get; init; }
    public required string ResolvConfPath { get; init; }

    /// <summary>The pod's /dev/shm tmpfs, or null for host IPC (the host's /dev/shm is bound).</summary>
    public string? ShmPath { get; init; }

    /// <summary>For PID mode TARGET: the target container's init pid (its pid namespace is joined).</summary>
    public int? TargetPid { get; init; }
}

/// <summary>A device node on the host, as stat reports it.</summary>
/// <param name="HostPath">The node on the host.</param>
/// <param name="ContainerPath">Where it appears in the container.</param>
/// <param name="Type">c (char) or b (block).</param>
/// <param name="Permissions">The cgroup access: a subset of "rwm".</param>
internal sealed record HostDevice(string HostPath, string ContainerPath, string Type, long Major, long Minor,
    uint FileMode, uint Uid, uint Gid, string Permissions);

/// <summary>The spec plus what the caller must do for it.</summary>
/// <param name="VolumeDirs">Host dirs to create (empty) before starting: one per image volume.</param>
/// <param name="Warnings">Things ignored on purpose (selinux_relabel, ...), for the caller to log.</param>
internal sealed record ContainerSpecResult(RuntimeSpec Spec, IReadOnlyList<string> VolumeDirs, IReadOnlyList<string> Warnings);
