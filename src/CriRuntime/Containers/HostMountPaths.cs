using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Linux;
using CriRuntime.Oci;

namespace CriRuntime.Containers;

/// <summary>
/// The host side of the CRI bind mounts, as containerd prepares them: a missing host path becomes an empty
/// directory (kubelet's hostPath DirectoryOrCreate relies on it), symlinks are resolved on the host so the runtime
/// binds what the path names now, and propagation modes get the host-side checks kubelet relies on.
/// </summary>
internal static class HostMountPaths
{
    /// <summary>Rewrites each mount's host_path to its real path (mutates <paramref name="mounts"/>).</summary>
    /// <exception cref="InvalidArgumentException">A host path is missing or relative.</exception>
    /// <exception cref="FailedPreconditionException">The host mount does not propagate as the mode needs.</exception>
    public static void Prepare(IEnumerable<Mount> mounts)
    {
        string? mountinfo = null;
        foreach (var m in mounts)
        {
            if (m.HostPath.Length == 0 || !m.HostPath.StartsWith('/')) throw new InvalidArgumentException($"mount host_path \"{m.HostPath}\" must be an absolute path");
            if (m.ContainerPath.Length == 0 || !m.ContainerPath.StartsWith('/')) throw new InvalidArgumentException($"mount container_path \"{m.ContainerPath}\" must be an absolute path");
            if (FileNodes.LStat(m.HostPath) is null && !Path.Exists(m.HostPath)) Directory.CreateDirectory(m.HostPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            try
            {
                m.HostPath = FileSystem.RealPath(m.HostPath);
            }
            catch (LinuxException e)
            {
                throw new InvalidArgumentException($"mount host_path \"{m.HostPath}\" cannot be resolved: {e.Message}");
            }
            if (m.Propagation is MountPropagation.PropagationHostToContainer or MountPropagation.PropagationBidirectional)
            {
                mountinfo ??= File.ReadAllText("/proc/self/mountinfo");
                MountPropagationCheck.Require(mountinfo, m.HostPath, needShared: m.Propagation == MountPropagation.PropagationBidirectional);
            }
        }
    }
}
