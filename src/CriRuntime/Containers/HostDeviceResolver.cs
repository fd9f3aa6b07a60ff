using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Linux;
using CriRuntime.Oci;

namespace CriRuntime.Containers;

/// <summary>
/// Turns CRI devices (and, for privileged containers, all of the host's /dev) into <see cref="HostDevice"/>s for
/// the spec builder: stat follows symlinks; a directory means every device node below it, as containerd does.
/// </summary>
internal static class HostDeviceResolver
{
    /// <summary>What runc and containerd skip when listing the host's devices for a privileged container.</summary>
    private static readonly HashSet<string> SkippedDirs = ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"];

    /// <exception cref="InvalidArgumentException">A host path that does not exist or is not a device.</exception>
    public static List<HostDevice> Resolve(IEnumerable<Device> devices)
    {
        var result = new List<HostDevice>();
        foreach (var device in devices)
        {
            var permissions = ContainerDevices.Permissions(device);
            DeviceNode node;
            try
            {
                node = DeviceNodes.Stat(device.HostPath);
            }
            catch (LinuxException e)
            {
                throw new InvalidArgumentException($"device {device.HostPath}: {e.Message}");
            }
            var containerPath = device.ContainerPath.Length > 0 ? device.ContainerPath : device.HostPath;
            if (node.IsDirectory)
            {
                foreach (var (child, relative) in Walk(device.HostPath, skip: false))
                {
                    result.Add(From(child, Path.Combine(containerPath, relative), permissions));
                }
            }
            else if (node.IsChar || node.IsBlock)
            {
                result.Add(From(node, containerPath, permissions));
            }
            else
            {
                throw new InvalidArgumentException($"device {device.HostPath} is not a device node");
            }
        }
        return result;
    }

    /// <summary>Every device node of the host's /dev, for a privileged container (same paths inside).</summary>
    public static List<HostDevice> AllHostDevices() =>
        [.. Walk("/dev", skip: true).Where(d => d.Node.Path != "/dev/console").Select(d => From(d.Node, d.Node.Path, "rwm"))];

    private static IEnumerable<(DeviceNode Node, string Relative)> Walk(string dir, bool skip)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", options))
        {
            var info = new FileInfo(entry);
            if (info.LinkTarget is not null) continue;
            if (info.Attributes.HasFlag(FileAttributes.Directory))
            {
                if (skip && SkippedDirs.Contains(info.Name)) continue;
                foreach (var (node, rel) in Walk(entry, skip)) yield return (node, Path.Combine(info.Name, rel));
                continue;
            }
            DeviceNode? n = null;
            try
            {
                n = DeviceNodes.Stat(entry);
            }
            catch (LinuxException)
            {
                // Gone since the listing: not a device to pass on.
            }
            if (n is { } found && (found.IsChar || found.IsBlock)) yield return (found, info.Name);
        }
    }

    private static HostDevice From(DeviceNode node, string containerPath, string permissions) =>
        new(node.Path, containerPath, node.IsBlock ? "b" : "c", node.Major, node.Minor, node.Mode, node.Uid, node.Gid, permissions);
}
