using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

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

    private static partial class Native
    {
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
