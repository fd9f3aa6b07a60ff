using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// The host-side checks kubelet relies on (containerd's ensureShared/ensureSharedOrSlave): a Bidirectional mount
/// needs its host path on a shared mount, a HostToContainer one on a shared or slave mount; otherwise the
/// propagation silently does nothing. Pure: takes /proc/self/mountinfo as text and an already resolved path.
/// </summary>
internal static class MountPropagationCheck
{
    /// <exception cref="FailedPreconditionException">The mount holding the path does not propagate as needed.</exception>
    public static void Require(string mountinfo, string realHostPath, bool needShared)
    {
        string? bestMountPoint = null;
        string[]? bestOptional = null;
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
            var fields = line.Split(' ');
            if (fields.Length < 7) continue;
            var mountPoint = Unescape(fields[4]);
            if (!Contains(mountPoint, realHostPath)) continue;
            // Later lines are mounted later: a later mount on the same point hides the earlier one.
            if (bestMountPoint is null || mountPoint.Length >= bestMountPoint.Length)
            {
                bestMountPoint = mountPoint;
                bestOptional = [.. fields.Skip(6).TakeWhile(f => f != "-")];
            }
        }
        if (bestMountPoint is null || bestOptional is null) throw new FailedPreconditionException($"no mount holds {realHostPath}");
        var shared = bestOptional.Any(f => f.StartsWith("shared:", StringComparison.Ordinal));
        var slave = bestOptional.Any(f => f.StartsWith("master:", StringComparison.Ordinal));
        if (needShared && !shared)
        {
            throw new FailedPreconditionException($"path \"{realHostPath}\" is mounted on \"{bestMountPoint}\" but it is not a shared mount (Bidirectional propagation needs one)");
        }
        if (!shared && !slave)
        {
            throw new FailedPreconditionException($"path \"{realHostPath}\" is mounted on \"{bestMountPoint}\" but it is not a shared or slave mount (HostToContainer propagation needs one)");
        }
    }

    private static bool Contains(string mountPoint, string path) =>
        mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal.</summary>
    private static string Unescape(string s) =>
        s.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");
}
