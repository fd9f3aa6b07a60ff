using System.Globalization;
using CriRuntime.Oci;

namespace CriRuntime.Containers;

/// <summary>
/// The daemon's capability bounding set: what "ALL" and privileged mean on this host (a container cannot get a
/// capability its runtime does not have; here CAP_SYS_RESOURCE is missing, for one).
/// </summary>
internal static class HostCapabilities
{
    public static List<string> Read() => Parse(File.ReadAllText("/proc/self/status"));

    /// <exception cref="InvalidOperationException">No CapBnd line (not Linux's /proc).</exception>
    public static List<string> Parse(string procStatus)
    {
        foreach (var line in procStatus.Split('\n'))
        {
            if (!line.StartsWith("CapBnd:", StringComparison.Ordinal)) continue;
            return ContainerCapabilities.FromMask(ulong.Parse(line["CapBnd:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }
        throw new InvalidOperationException("/proc/self/status has no CapBnd line");
    }
}
