using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>The file-node syscalls a layer unpack needs and .NET does not expose: none of them follows a final symlink.</summary>
internal static partial class FileNodes
{
    public const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFIFO = 0x1000;
    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, ENOENT = 2, ENODATA = 61;
    private const uint STATX_BASIC_STATS = 0x7FF;

    /// <summary>What lstat says about a path; null if it does not exist.</summary>
    public static FileStat? LStat(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (Native.statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, ref MemoryMarshal.GetReference(buffer)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == ENOENT || errno == 20 /* ENOTDIR */ ? null : throw new LinuxException("statx", path, errno);
        }
        // struct statx is the same on every architecture: nlink@16 uid@20 gid@24 mode@28 ino@32 size@40 blocks@48.
        return new FileStat(
            BitConverter.ToUInt16(buffer[28..]), BitConverter.ToUInt32(buffer[16..]), BitConverter.ToUInt64(buffer[32..]),
            BitConverter.ToInt64(buffer[40..]), BitConverter.ToInt64(buffer[48..]) * 512);
    }

    public static void MakeNode(string path, uint mode, uint major, uint minor)
    {
        var dev = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        if (Native.mknod(path, mode, dev) < 0) throw new LinuxException("mknod", path);
    }

    public static void HardLink(string target, string path)
    {
        if (Native.link(target, path) < 0) throw new LinuxException("link", path + " -> " + target);
    }

    public static void LChown(string path, int uid, int gid)
    {
        if (Native.lchown(path, uid, gid) < 0) throw new LinuxException("lchown", path);
    }

    /// <summary>chmod of a non-symlink (the caller checked); keeps setuid/setgid/sticky bits, which chown clears.</summary>
    public static void Chmod(string path, uint mode)
    {
        if (Native.chmod(path, mode & 0xFFF) < 0) throw new LinuxException("chmod", path);
    }

    public static void SetTimes(string path, DateTimeOffset accessed, DateTimeOffset modified)
    {
        Span<long> times = stackalloc long[4];
        FromTime(accessed, times[..2]);
        FromTime(modified, times[2..]);
        if (Native.utimensat(AT_FDCWD, path, ref MemoryMarshal.GetReference(times), AT_SYMLINK_NOFOLLOW) < 0)
        {
            throw new LinuxException("utimensat", path);
        }
    }

    public static void SetXattr(string path, string name, ReadOnlySpan<byte> value)
    {
        if (Native.lsetxattr(path, name, ref MemoryMarshal.GetReference(value), (nuint)value.Length, 0) < 0)
        {
            throw new LinuxException("lsetxattr " + name, path);
        }
    }

    public static byte[]? GetXattr(string path, string name)
    {
        Span<byte> buffer = stackalloc byte[256];
        var n = Native.lgetxattr(path, name, ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length);
        if (n < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == ENODATA ? null : throw new LinuxException("lgetxattr " + name, path, errno);
        }
        return buffer[..(int)n].ToArray();
    }

    private static void FromTime(DateTimeOffset time, Span<long> timespec)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        timespec[0] = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            timespec[0]--;
            rest += TimeSpan.TicksPerSecond;
        }
        timespec[1] = rest * 100;
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int mknod(string path, uint mode, ulong dev);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int link(string target, string path);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int lchown(string path, int uid, int gid);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int chmod(string path, uint mode);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int utimensat(int dirfd, string path, ref long times, int flags);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int lsetxattr(string path, string name, ref byte value, nuint size, int flags);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint lgetxattr(string path, string name, ref byte value, nuint size);
    }
}

/// <param name="Mode">st_mode: type and permission bits.</param>
/// <param name="Blocks">Bytes allocated on disk (st_blocks * 512).</param>
internal readonly record struct FileStat(uint Mode, uint Links, ulong Inode, long Size, long Blocks)
{
    public uint Type => Mode & FileNodes.S_IFMT;
    public bool IsDirectory => Type == FileNodes.S_IFDIR;
    public bool IsSymlink => Type == FileNodes.S_IFLNK;
}
