using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CriRuntime.Linux;

/// <summary>
/// openat2(2) with RESOLVE_IN_ROOT: opens a path inside a directory tree as if that tree were "/", so symlinks
/// and ".." in an image (even absolute ones) cannot lead outside it (Linux 5.6+).
/// </summary>
internal static partial class RootedOpen
{
    private const long SYS_openat2 = 437;
    private const ulong O_RDONLY = 0, O_NONBLOCK = 0x800, O_NOFOLLOW = 0x20000, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    private const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_IN_ROOT = 0x10;
    public const int ENOENT = 2, ENOTDIR = 20;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    /// <summary>Opens <paramref name="relativePath"/> under <paramref name="root"/> read-only (non-blocking, so a FIFO cannot hang us).</summary>
    /// <exception cref="LinuxException">open failed (Errno ENOENT when it does not exist).</exception>
    public static SafeFileHandle OpenRead(string root, string relativePath)
    {
        var rootFd = Native.open(root, (int)(O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
        if (rootFd < 0) throw new LinuxException("open", root);
        try
        {
            var how = new OpenHow { Flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC, Resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
            var fd = Native.syscall(SYS_openat2, rootFd, relativePath.TrimStart('/'), ref how, (nuint)Marshal.SizeOf<OpenHow>());
            if (fd < 0) throw new LinuxException("openat2", Path.Combine(root, relativePath.TrimStart('/')));
            return new SafeFileHandle((nint)fd, ownsHandle: true);
        }
        finally
        {
            Native.close(rootFd);
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial long syscall(long number, int dirfd, string path, ref OpenHow how, nuint size);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int close(int fd);
    }
}
