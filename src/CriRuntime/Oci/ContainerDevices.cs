using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>linux.devices: the nodes created in the container, from the host devices the caller resolved.</summary>
internal static class ContainerDevices
{
    /// <summary>The CRI permissions ("rwm" subset; empty means "rwm", as containerd treats it).</summary>
    /// <exception cref="InvalidArgumentException">Other letters.</exception>
    public static string Permissions(Device device)
    {
        var p = device.Permissions;
        if (p.Length == 0) return "rwm";
        if (p.Any(c => c is not ('r' or 'w' or 'm')) || p.Distinct().Count() != p.Length)
        {
            throw new InvalidArgumentException($"device {device.HostPath}: permissions \"{p}\" must be a subset of \"rwm\"");
        }
        return p;
    }

    public static List<SpecDevice>? Build(IReadOnlyList<HostDevice> devices)
    {
        if (devices.Count == 0) return null;
        var result = new List<SpecDevice>();
        foreach (var d in devices)
        {
            if (!d.ContainerPath.StartsWith('/')) throw new InvalidArgumentException($"device container_path \"{d.ContainerPath}\" is not absolute");
            if (d.Type is not ("c" or "b")) throw new InvalidArgumentException($"{d.HostPath} is not a device node");
            result.Add(new SpecDevice(ContainerMounts.Clean(d.ContainerPath), d.Type, d.Major, d.Minor)
            {
                // Only the permission bits: runc adds the node type itself.
                FileMode = d.FileMode & 0xfff,
                Uid = d.Uid,
                Gid = d.Gid,
            });
        }
        return result;
    }
}
