using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>A device node as stat(2) reports it (following symlinks, as containerd resolves CRI devices).</summary>
internal sealed record DeviceNode(string Path, uint Mode, uint Major, uint Minor, uint Uid, uint Gid)
{
    public bool IsChar => (Mode & FileNodes.S_IFMT) == FileNodes.S_IFCHR;
    public bool IsBlock => (Mode & FileNodes.S_IFMT) == FileNodes.S_IFBLK;
    public bool IsDirectory => (Mode & FileNodes.S_IFMT) == FileNodes.S_IFDIR;
}

internal static partial class DeviceNodes
{
    private const int AT_FDCWD = -100;
    private const uint STATX_BASIC_STATS = 0x7FF;

    /// <exception cref="LinuxException">stat failed.</exception>
    public static DeviceNode Stat(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (Native.statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, ref MemoryMarshal.GetReference(buffer)) < 0)
        {
            throw new LinuxException("statx", path);
        }
        // struct statx: uid@20 gid@24 mode@28 rdev_major@128 rdev_minor@132.
        return new DeviceNode(path, BitConverter.ToUInt16(buffer[28..]), BitConverter.ToUInt32(buffer[128..]),
            BitConverter.ToUInt32(buffer[132..]), BitConverter.ToUInt32(buffer[20..]), BitConverter.ToUInt32(buffer[24..]));
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
    }
}
