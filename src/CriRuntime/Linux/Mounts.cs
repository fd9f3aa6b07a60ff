using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>mount(2) and umount2(2).</summary>
internal static partial class Mounts
{
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_BIND = 4096;
    private const int MNT_DETACH = 2, EINVAL = 22, ENOENT = 2;

    public static void Mount(string? source, string target, string? fsType, ulong flags, string? data = null)
    {
        if (Native.mount(source, target, fsType, flags, data) < 0) throw new LinuxException("mount", target);
    }

    /// <summary>Detaches a mount; a target that is not (or no longer) a mount point is not an error.</summary>
    public static void UnmountIfMounted(string target)
    {
        if (Native.umount2(target, MNT_DETACH) == 0) return;
        var errno = Marshal.GetLastPInvokeError();
        if (errno is EINVAL or ENOENT) return;
        throw new LinuxException("umount2", target, errno);
    }

    /// <summary>Whether <paramref name="path"/> is a mount point, from /proc/self/mountinfo.</summary>
    public static bool IsMountPoint(string path)
    {
        var escaped = path.Replace(" ", "\\040", StringComparison.Ordinal);
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ', 6);
            if (fields.Length > 4 && fields[4] == escaped) return true;
        }
        return false;
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int mount(string? source, string target, string? fsType, ulong flags, string? data);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int umount2(string target, int flags);
    }
}
