using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>Seccomp, AppArmor and the masked/readonly /proc and /sys paths of a container.</summary>
internal static class ContainerSecurity
{
    /// <summary>containerd's and CRI-O's defaults (containerd oci/spec.go populateDefaultUnixSpec).</summary>
    public static readonly IReadOnlyList<string> DefaultMaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/sys/devices/virtual/powercap", "/proc/scsi",
    ];

    public static readonly IReadOnlyList<string> DefaultReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>
    /// The CRI lists replace the defaults when kubelet sends them (it always does for procMount Default); an empty
    /// list gets the defaults, not nothing: procMount Unmasked, the only way kubelet sends none, needs user
    /// namespaces, which CriRuntime refuses anyway, and crictl users get the safe default. Privileged: none.
    /// </summary>
    public static (List<string>? Masked, List<string>? Readonly) Paths(LinuxContainerSecurityContext sc, bool privileged)
    {
        if (privileged) return (null, null);
        return (sc.MaskedPaths.Count > 0 ? [.. sc.MaskedPaths] : [.. DefaultMaskedPaths],
            sc.ReadonlyPaths.Count > 0 ? [.. sc.ReadonlyPaths] : [.. DefaultReadonlyPaths]);
    }

    /// <summary>
    /// The seccomp filter: the <c>seccomp</c> field, else the deprecated <c>seccomp_profile_path</c>
    /// ("runtime/default", "docker/default", "unconfined", "localhost/&lt;path&gt;"), else none; privileged: none.
    /// </summary>
    /// <exception cref="InvalidArgumentException">An unknown profile, or Localhost without a loaded profile.</exception>
    public static SpecSeccomp? Seccomp(LinuxContainerSecurityContext sc, bool privileged, IReadOnlyCollection<string> caps, SpecSeccomp? localhost)
    {
        if (privileged) return null;
        if (sc.Seccomp is { LocalhostRef.Length: > 0 } p && p.ProfileType != SecurityProfile.Types.ProfileType.Localhost)
        {
            throw new InvalidArgumentException("seccomp localhost_ref must only be set when profile_type is Localhost");
        }
        var kind = sc.Seccomp?.ProfileType switch
        {
            SecurityProfile.Types.ProfileType.RuntimeDefault => "runtime/default",
            SecurityProfile.Types.ProfileType.Unconfined => "unconfined",
            SecurityProfile.Types.ProfileType.Localhost => "localhost/" + sc.Seccomp!.LocalhostRef,
            _ => sc.SeccompProfilePath,
        };
        return kind switch
        {
            "" or "unconfined" => null,
            "runtime/default" or "docker/default" => SeccompProfiles.RuntimeDefault(caps),
            _ when kind.StartsWith("localhost/", StringComparison.Ordinal) =>
                localhost ?? throw new InvalidArgumentException($"seccomp profile {kind["localhost/".Length..]} was not loaded"),
            _ => throw new InvalidArgumentException($"unknown seccomp profile \"{kind}\""),
        };
    }

    /// <summary>Path of a Localhost seccomp profile the caller must load, or null.</summary>
    public static string? LocalhostSeccompPath(LinuxContainerSecurityContext? sc)
    {
        if (sc is null) return null;
        if (sc.Seccomp is { ProfileType: SecurityProfile.Types.ProfileType.Localhost } p) return p.LocalhostRef;
        return sc.Seccomp is null && sc.SeccompProfilePath.StartsWith("localhost/", StringComparison.Ordinal)
            ? sc.SeccompProfilePath["localhost/".Length..] : null;
    }

    /// <summary>
    /// The AppArmor profile. CriRuntime loads no default profile, so on a host with AppArmor RuntimeDefault is
    /// refused rather than silently run unconfined; without AppArmor, RuntimeDefault/unset/Unconfined mean none.
    /// </summary>
    public static string? AppArmor(LinuxContainerSecurityContext sc, bool privileged, bool available)
    {
        var kind = sc.Apparmor?.ProfileType switch
        {
            SecurityProfile.Types.ProfileType.RuntimeDefault => "runtime/default",
            SecurityProfile.Types.ProfileType.Unconfined => "unconfined",
            SecurityProfile.Types.ProfileType.Localhost => "localhost/" + sc.Apparmor!.LocalhostRef,
            _ => sc.ApparmorProfile,
        };
        if (kind is "" or "unconfined" || privileged && kind == "runtime/default") return null;
        if (!available)
        {
            if (kind == "runtime/default") return null;
            throw new InvalidArgumentException($"AppArmor profile \"{kind}\" requested but AppArmor is not enabled on this host");
        }
        if (kind == "runtime/default")
        {
            throw new UnimplementedException("the RuntimeDefault AppArmor profile is not implemented (CriRuntime loads no AppArmor profile)");
        }
        return kind.StartsWith("localhost/", StringComparison.Ordinal)
            ? kind["localhost/".Length..]
            : throw new InvalidArgumentException($"unknown AppArmor profile \"{kind}\"");
    }
}
