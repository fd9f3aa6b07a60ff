using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// Which pod-level sysctls are allowed: only namespaced ones (Kubernetes' safe/unsafe sysctl docs), and never a
/// value that could smuggle a second assignment (CVE-2022-0811 in CRI-O: "a=b+c=d" set c on the host).
/// </summary>
internal static class SysctlPolicy
{
    private static readonly string[] IpcPrefixes = ["kernel.shm", "kernel.msg", "fs.mqueue."];

    /// <exception cref="InvalidArgumentException">A key is not namespaced or a value is unsafe.</exception>
    public static Dictionary<string, string> Validate(IReadOnlyDictionary<string, string> sysctls, bool hostNetwork, bool hostIpc)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (rawKey, value) in sysctls)
        {
            // Kubernetes accepts both kernel.shm_rmid_forced and kernel/shm_rmid_forced.
            var key = rawKey.Replace('/', '.');
            if (key.Length == 0 || key.Contains("..", StringComparison.Ordinal) || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
            {
                throw new InvalidArgumentException($"sysctl \"{rawKey}\" is not a valid sysctl name");
            }
            var ipc = key == "kernel.sem" || IpcPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
            var net = key.StartsWith("net.", StringComparison.Ordinal);
            if (!ipc && !net)
            {
                throw new InvalidArgumentException($"sysctl \"{rawKey}\" is not a namespaced sysctl and cannot be set for a pod " +
                    "(allowed: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.*)");
            }
            if (net && hostNetwork)
            {
                throw new InvalidArgumentException($"sysctl \"{rawKey}\" cannot be set for a pod that uses the host network");
            }
            if (ipc && hostIpc)
            {
                throw new InvalidArgumentException($"sysctl \"{rawKey}\" cannot be set for a pod that uses the host IPC namespace");
            }
            if (value.Length == 0 || value.Any(c => c is '+' or ';' or '=' or '\n' or '\r' or '\0' || char.IsControl(c)))
            {
                throw new InvalidArgumentException($"sysctl \"{rawKey}\" has an invalid value \"{value}\"");
            }
            result[key] = value;
        }
        return result;
    }
}
