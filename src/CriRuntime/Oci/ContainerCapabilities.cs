using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// Capabilities as containerd computes them: privileged gets the host's bounding set; otherwise the default set,
/// then "ALL" in add (the host's bounding set) or drop (none), then the named adds, then the named drops. Names
/// come without the CAP_ prefix from kubelet; either spelling is accepted. Inheritable stays empty (CVE-2022-24769).
/// </summary>
internal static class ContainerCapabilities
{
    public static readonly IReadOnlyList<string> Defaults =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_KILL",
    ];

    /// <summary>Every capability Linux knows, indexed by number (capability.h up to CAP_CHECKPOINT_RESTORE).</summary>
    private static readonly string[] ByNumber =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    private static readonly HashSet<string> Known = [.. ByNumber];

    /// <summary>The names of the capabilities set in a mask such as /proc/self/status CapBnd (unknown bits dropped).</summary>
    public static List<string> FromMask(ulong mask) =>
        [.. ByNumber.Where((_, bit) => (mask & (1UL << bit)) != 0)];

    /// <exception cref="InvalidArgumentException">An unknown capability, or one the host's bounding set lacks.</exception>
    public static SpecCapabilities Build(Capability? requested, bool privileged, IReadOnlyList<string> hostCaps)
    {
        var host = hostCaps.ToHashSet(StringComparer.Ordinal);
        List<string> caps;
        List<string> ambient = [];
        if (privileged)
        {
            caps = [.. hostCaps];
        }
        else
        {
            caps = [.. Defaults.Where(host.Contains)];
            requested ??= new Capability();
            if (requested.AddCapabilities.Any(IsAll)) caps = [.. hostCaps];
            if (requested.DropCapabilities.Any(IsAll)) caps.Clear();
            foreach (var name in requested.AddCapabilities.Where(c => !IsAll(c)))
            {
                var cap = Normalize(name, host, "add");
                if (!caps.Contains(cap)) caps.Add(cap);
            }
            foreach (var name in requested.DropCapabilities.Where(c => !IsAll(c)))
            {
                caps.Remove(Normalize(name, Known, "drop"));
            }
            foreach (var name in requested.AddAmbientCapabilities)
            {
                var cap = Normalize(name, host, "add as ambient");
                if (!caps.Contains(cap)) caps.Add(cap);
                ambient.Add(cap);
            }
        }
        return new SpecCapabilities
        {
            Bounding = [.. caps],
            Effective = [.. caps],
            Permitted = [.. caps],
            // An ambient capability must also be inheritable (capabilities(7)); nothing else is.
            Inheritable = [.. ambient],
            Ambient = ambient,
        };
    }

    private static bool IsAll(string name) => string.Equals(name, "ALL", StringComparison.OrdinalIgnoreCase);

    private static string Normalize(string name, IReadOnlySet<string> allowed, string verb)
    {
        var cap = name.ToUpperInvariant();
        if (!cap.StartsWith("CAP_", StringComparison.Ordinal)) cap = "CAP_" + cap;
        if (!Known.Contains(cap)) throw new InvalidArgumentException($"unknown capability \"{name}\" to {verb}");
        if (!allowed.Contains(cap))
        {
            throw new InvalidArgumentException($"capability \"{name}\" cannot be added: the host's bounding set does not have it");
        }
        return cap;
    }
}
