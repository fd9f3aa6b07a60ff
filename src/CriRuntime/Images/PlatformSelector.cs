using System.Runtime.InteropServices;

namespace CriRuntime.Images;

/// <summary>Picks this node's manifest from an index: linux and the OCI name of the machine architecture (and variant).</summary>
internal static class PlatformSelector
{
    public static (string Architecture, string? Variant) Current => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => ("amd64", null),
        Architecture.Arm64 => ("arm64", "v8"),
        Architecture.Arm => ("arm", "v7"),
        Architecture.X86 => ("386", null),
        Architecture.S390x => ("s390x", null),
        Architecture.Ppc64le => ("ppc64le", null),
        Architecture.RiscV64 => ("riscv64", null),
        var other => (other.ToString().ToLowerInvariant(), null),
    };

    public static ContentDescriptor? Select(IReadOnlyList<ContentDescriptor> manifests, string architecture, string? variant)
    {
        var candidates = manifests.Where(m => m.Platform is { } p && p.Os == "linux" && p.Architecture == architecture).ToList();
        // An exact variant first, then one without a variant (arm64 images rarely say v8).
        return candidates.FirstOrDefault(m => variant is not null && m.Platform!.Variant == variant)
            ?? candidates.FirstOrDefault(m => string.IsNullOrEmpty(m.Platform!.Variant))
            ?? candidates.FirstOrDefault();
    }
}
