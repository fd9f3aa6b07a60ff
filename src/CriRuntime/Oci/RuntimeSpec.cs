namespace CriRuntime.Oci;

// The OCI runtime spec (config.json), as much of it as CriRuntime writes. Property names follow the spec
// (camelCase, see OciJsonContext); null members are omitted. Extend these records as the containers need more.

internal sealed record RuntimeSpec
{
    public string OciVersion { get; init; } = "1.0.2";
    public required SpecProcess Process { get; init; }
    public required SpecRoot Root { get; init; }
    public string? Hostname { get; init; }
    public List<SpecMount> Mounts { get; init; } = [];
    public Dictionary<string, string>? Annotations { get; init; }
    public required SpecLinux Linux { get; init; }
}

internal sealed record SpecProcess
{
    public bool Terminal { get; init; }
    public required SpecUser User { get; init; }
    public required List<string> Args { get; init; }
    public List<string> Env { get; init; } = [];
    public string Cwd { get; init; } = "/";
    public SpecCapabilities? Capabilities { get; init; }
    public bool NoNewPrivileges { get; init; }
    public int? OomScoreAdj { get; init; }
    public string? ApparmorProfile { get; init; }
}

internal sealed record SpecUser(uint Uid, uint Gid)
{
    public List<uint>? AdditionalGids { get; init; }
}

internal sealed record SpecCapabilities
{
    public List<string> Bounding { get; init; } = [];
    public List<string> Effective { get; init; } = [];
    public List<string> Permitted { get; init; } = [];
    public List<string> Inheritable { get; init; } = [];
    public List<string> Ambient { get; init; } = [];
}

internal sealed record SpecRoot(string Path, bool Readonly);

internal sealed record SpecMount(string Destination, string Type, string Source, List<string> Options);

internal sealed record SpecLinux
{
    public List<SpecNamespace> Namespaces { get; init; } = [];
    public Dictionary<string, string>? Sysctl { get; init; }
    public SpecResources? Resources { get; init; }
    public string? CgroupsPath { get; init; }
    public SpecSeccomp? Seccomp { get; init; }
    public List<string>? MaskedPaths { get; init; }
    public List<string>? ReadonlyPaths { get; init; }
    public List<SpecDevice>? Devices { get; init; }

    /// <summary>rslave/rshared when a mount needs the rootfs to propagate (as containerd sets it).</summary>
    public string? RootfsPropagation { get; init; }
}

/// <summary>A device node the runtime creates in the container (linux.devices).</summary>
/// <param name="Type">c, b or p.</param>
internal sealed record SpecDevice(string Path, string Type, long Major, long Minor)
{
    public uint? FileMode { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
}

/// <param name="Type">network, ipc, uts, pid, mount, user, cgroup.</param>
/// <param name="Path">Join this namespace instead of creating one.</param>
internal sealed record SpecNamespace(string Type, string? Path = null);

internal sealed record SpecResources
{
    public List<SpecDeviceRule>? Devices { get; init; }
    public SpecCpu? Cpu { get; init; }
    public SpecMemory? Memory { get; init; }
    public SpecPids? Pids { get; init; }
    public List<SpecHugepageLimit>? HugepageLimits { get; init; }
    public Dictionary<string, string>? Unified { get; init; }
}

internal sealed record SpecPids(long Limit);

/// <param name="PageSize">As the kernel names it in hugetlb.&lt;size&gt;: "2MB", "1GB" (OCI "pageSize").</param>
internal sealed record SpecHugepageLimit(string PageSize, ulong Limit);

internal sealed record SpecDeviceRule(bool Allow, string Access)
{
    public string? Type { get; init; }
    public long? Major { get; init; }
    public long? Minor { get; init; }
}

internal sealed record SpecCpu
{
    public ulong? Shares { get; init; }
    public long? Quota { get; init; }
    public ulong? Period { get; init; }
    public string? Cpus { get; init; }
    public string? Mems { get; init; }
}

internal sealed record SpecMemory
{
    public long? Limit { get; init; }
    public long? Swap { get; init; }
}

internal sealed record SpecSeccomp(string DefaultAction)
{
    public uint? DefaultErrnoRet { get; init; }
    public List<string>? Architectures { get; init; }
    public List<string>? Flags { get; init; }
    public List<SpecSyscall> Syscalls { get; init; } = [];
}

internal sealed record SpecSyscall(List<string> Names, string Action)
{
    public uint? ErrnoRet { get; init; }
    public List<SpecSyscallArg>? Args { get; init; }
}

/// <param name="Op">SCMP_CMP_NE, SCMP_CMP_EQ, SCMP_CMP_MASKED_EQ, ...</param>
internal sealed record SpecSyscallArg(uint Index, ulong Value, string Op)
{
    public ulong? ValueTwo { get; init; }
}
