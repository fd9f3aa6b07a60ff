namespace CriRuntime.Oci;

/// <summary>How a pod shares a namespace kind (CRI NamespaceMode, without TARGET which pods never use).</summary>
internal enum NamespaceSharing
{
    Pod,
    Container,
    Node,
}

/// <summary>Seccomp for a process: none, our default profile, or a named profile (not supported yet).</summary>
internal enum SeccompMode
{
    Unconfined,
    RuntimeDefault,
}

/// <summary>Everything the pause container's spec depends on; built by Sandboxes/ from the CRI request.</summary>
internal sealed record PauseSpecInput
{
    public required string SandboxId { get; init; }
    public required string RootfsPath { get; init; }
    public required string PauseArgs0 { get; init; }

    /// <summary>The whole command line when a pause image sets it (Entrypoint + Cmd); null runs <see cref="PauseArgs0"/>.</summary>
    public IReadOnlyList<string>? Args { get; init; }

    /// <summary>The pause image's environment; null is PATH=/.</summary>
    public IReadOnlyList<string>? Env { get; init; }
    public string Hostname { get; init; } = "";

    /// <summary>The pinned netns to join, or null for the host's network.</summary>
    public string? NetnsPath { get; init; }
    public NamespaceSharing Pid { get; init; }
    public bool HostIpc { get; init; }

    /// <summary>The pod's /dev/shm tmpfs, or null for host IPC (the host's /dev/shm is used).</summary>
    public string? ShmPath { get; init; }
    public IReadOnlyDictionary<string, string> Sysctls { get; init; } = new Dictionary<string, string>();
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public IReadOnlyList<uint> SupplementalGroups { get; init; } = [];
    public SeccompMode Seccomp { get; init; }
    public required string CgroupsPath { get; init; }
    public int OomScoreAdj { get; init; }
}
