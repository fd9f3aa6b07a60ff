using System.Security.Cryptography;
using System.Text;
using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// The container's mounts in containerd's order: the defaults (/proc, /dev, /dev/pts, /dev/mqueue, /sys,
/// /sys/fs/cgroup), then the bind mounts (CRI mounts, the pod's hostname/hosts/resolv.conf/shm, image volumes)
/// sorted by depth so a parent is mounted before its children. A CRI mount replaces a default, pod or volume
/// mount of the same destination. Host paths are used as given: the caller creates missing ones and resolves
/// symlinks first (containerd does both), then runs <see cref="MountPropagationCheck"/>.
/// </summary>
internal static class ContainerMounts
{
    public sealed record Result(List<SpecMount> Mounts, string? RootfsPropagation, List<string> VolumeDirs, List<string> Warnings);

    public static Result Build(ContainerSpecInput input, bool privileged, bool readonlyRootfs)
    {
        var warnings = new List<string>();
        var cri = input.Config.Mounts.ToList();
        foreach (var m in cri) Validate(m, warnings);
        var criDestinations = cri.Select(m => Clean(m.ContainerPath)).ToHashSet(StringComparer.Ordinal);

        // The bind mounts: CRI ones, then the pod's files and image volumes unless a CRI mount has their place.
        string? rootfsPropagation = null;
        var binds = new List<SpecMount>();
        foreach (var m in cri)
        {
            var (mount, propagation) = FromCri(m);
            // The rootfs must propagate too, or the mount under it stops receiving/sending events (containerd).
            if (propagation == "rshared") rootfsPropagation = "rshared";
            else if (propagation == "rslave" && rootfsPropagation is null) rootfsPropagation = "rslave";
            binds.Add(mount);
        }
        binds.AddRange(PodMounts(input, readonlyRootfs).Where(m => !criDestinations.Contains(m.Destination)));

        var volumeDirs = new List<string>();
        foreach (var volume in (input.Image?.Volumes?.Keys ?? []).Order(StringComparer.Ordinal))
        {
            var dest = Clean(volume);
            if (binds.Any(m => m.Destination == dest)) continue;
            // The volume's host dir is named by a hash of its path: never a path the image controls.
            var dir = Path.Combine(input.VolumesDir, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dest)))[..32]);
            volumeDirs.Add(dir);
            binds.Add(new SpecMount(dest, "bind", dir, ["rbind", "rprivate", "rw"]));
        }
        var bindDestinations = binds.Select(m => m.Destination).ToHashSet(StringComparer.Ordinal);

        // Defaults a bind mount replaces are left out, and everything under /dev when /dev itself is bound.
        var mounts = Defaults(privileged)
            .Where(m => !bindDestinations.Contains(m.Destination))
            .Where(m => !(bindDestinations.Contains("/dev") && m.Destination.StartsWith("/dev/", StringComparison.Ordinal)))
            .ToList();
        // Parents before children (a stable sort by depth), so no mount hides a deeper one.
        mounts.AddRange(binds.OrderBy(m => m.Destination == "/" ? 0 : m.Destination.Count(c => c == '/')));
        return new Result(mounts, rootfsPropagation, volumeDirs, warnings);
    }

    private static void Validate(Mount m, List<string> warnings)
    {
        if (m.ContainerPath.Length == 0 || !m.ContainerPath.StartsWith('/'))
        {
            throw new InvalidArgumentException($"mount container_path \"{m.ContainerPath}\" is not an absolute path");
        }
        if (m.Image is not null && m.Image.Image.Length > 0)
        {
            throw new UnimplementedException($"image volume mounts (mount {m.ContainerPath} of image {m.Image.Image}) are not supported");
        }
        if (m.UidMappings.Count > 0 || m.GidMappings.Count > 0)
        {
            throw new UnimplementedException($"id-mapped mounts ({m.ContainerPath}) are not supported");
        }
        if (m.HostPath.Length == 0) throw new InvalidArgumentException($"mount {m.ContainerPath} has no host_path");
        if (m.SelinuxRelabel) warnings.Add($"mount {m.ContainerPath}: selinux_relabel ignored (SELinux is not supported)");
    }

    private static (SpecMount Mount, string Propagation) FromCri(Mount m)
    {
        var propagation = m.Propagation switch
        {
            MountPropagation.PropagationHostToContainer => "rslave",
            MountPropagation.PropagationBidirectional => "rshared",
            _ => "rprivate",
        };
        var options = new List<string> { "rbind", propagation, m.Readonly ? "ro" : "rw" };
        if (m.RecursiveReadOnly)
        {
            if (!m.Readonly) throw new InvalidArgumentException($"mount {m.ContainerPath}: recursive_read_only requires readonly");
            if (propagation != "rprivate") throw new InvalidArgumentException($"mount {m.ContainerPath}: recursive_read_only requires private propagation");
            options[2] = "rro";
        }
        return (new SpecMount(Clean(m.ContainerPath), "bind", m.HostPath, options), propagation);
    }

    private static List<SpecMount> Defaults(bool privileged) =>
    [
        new("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
        new("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        new("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        new("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
        new("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", privileged ? "rw" : "ro"]),
        new("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro"]),
    ];

    private static IEnumerable<SpecMount> PodMounts(ContainerSpecInput input, bool readonlyRootfs)
    {
        var mode = readonlyRootfs ? "ro" : "rw";
        yield return new SpecMount("/etc/hostname", "bind", input.Pod.HostnamePath, ["rbind", "rprivate", mode]);
        yield return new SpecMount("/etc/hosts", "bind", input.Pod.HostsPath, ["rbind", "rprivate", mode]);
        yield return new SpecMount("/etc/resolv.conf", "bind", input.Pod.ResolvConfPath, ["rbind", "rprivate", mode]);
        // Host IPC shares the node's /dev/shm, as containerd does; otherwise the pod's own tmpfs.
        yield return new SpecMount("/dev/shm", "bind", input.Pod.ShmPath ?? "/dev/shm", ["rbind", "rprivate", "rw"]);
    }

    /// <summary>A lexically clean absolute path: no "." or ".." left, no trailing slash.</summary>
    /// <exception cref="InvalidArgumentException">The path is relative.</exception>
    public static string Clean(string path)
    {
        if (!path.StartsWith('/')) throw new InvalidArgumentException($"path \"{path}\" is not absolute");
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }
}
