using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>The size of a file system in bytes and its inodes, total and free (statvfs).</summary>
internal sealed record FileSystemCapacity(ulong Bytes, ulong Inodes, ulong FreeInodes);

/// <summary>Small typed wrappers over file system syscalls .NET does not expose.</summary>
internal static partial class FileSystem
{
    private const int O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;

    /// <summary>Makes a rename or unlink in <paramref name="dir"/> durable.</summary>
    public static void FsyncDirectory(string dir)
    {
        var fd = Native.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) throw new LinuxException("open", dir);
        try
        {
            if (Native.fsync(fd) < 0) throw new LinuxException("fsync", dir);
        }
        finally
        {
            Native.close(fd);
        }
    }

    /// <summary>realpath(3): the absolute path with every symlink, "." and ".." resolved; the path must exist.</summary>
    public static unsafe string RealPath(string path)
    {
        var resolved = Native.realpath(path, 0);
        if (resolved == 0) throw new LinuxException("realpath", path);
        try
        {
            return Marshal.PtrToStringUTF8(resolved)!;
        }
        finally
        {
            Native.free(resolved);
        }
    }

    /// <summary>statvfs(3): the size and inode counts of the file system holding <paramref name="path"/>.</summary>
    public static unsafe FileSystemCapacity Capacity(string path)
    {
        StatVfs buffer;
        if (Native.statvfs(path, &buffer) < 0) throw new LinuxException("statvfs", path);
        return new FileSystemCapacity(buffer.Blocks * buffer.FragmentSize, buffer.Files, buffer.FreeFiles);
    }

    // struct statvfs of glibc on 64-bit Linux: eleven unsigned longs, then int __f_spare[6].
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct StatVfs
    {
        public ulong BlockSize, FragmentSize, Blocks, FreeBlocks, AvailableBlocks, Files, FreeFiles, AvailableFiles, FsId, Flags, NameMax;
        public fixed int Spare[6];
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static unsafe partial int statvfs(string path, StatVfs* buffer);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint realpath(string path, nint resolved);

        [LibraryImport("libc")]
        internal static partial void free(nint pointer);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int fsync(int fd);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int close(int fd);
    }
}
