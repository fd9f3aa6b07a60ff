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
    private const int AT_EMPTY_PATH = 0x1000;
    private const uint STATX_TYPE = 0x1;
    public const int ENOENT = 2, ENOTDIR = 20;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    /// <summary>
    /// Opens the regular file <paramref name="relativePath"/> under <paramref name="root"/> read-only. The type is
    /// checked on an O_PATH handle first, so a device node or FIFO planted in an image is never opened.
    /// </summary>
    /// <exception cref="LinuxException">open failed (Errno ENOENT when it does not exist).</exception>
    /// <exception cref="IOException">It is not a regular file.</exception>
    public static SafeFileHandle OpenRead(string root, string relativePath)
    {
        var rootFd = Native.open(root, (int)(O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
        if (rootFd < 0) throw new LinuxException("open", root);
        var full = Path.Combine(root, relativePath.TrimStart('/'));
        try
        {
            var pathFd = OpenAt2(rootFd, relativePath, O_PATH | O_CLOEXEC, full);
            try
            {
                Span<byte> statx = stackalloc byte[256];
                if (Native.statx(pathFd, "", AT_EMPTY_PATH, STATX_TYPE, ref MemoryMarshal.GetReference(statx)) < 0)
                {
                    throw new LinuxException("statx", full);
                }
                // struct statx: mode@28.
                if ((BitConverter.ToUInt16(statx[28..]) & FileNodes.S_IFMT) != FileNodes.S_IFREG)
                {
                    throw new IOException($"{full} is not a regular file");
                }
            }
            finally
            {
                Native.close(pathFd);
            }
            // The rootfs is not in use yet (no container runs on it), so the checked path is the opened one.
            return new SafeFileHandle(OpenAt2(rootFd, relativePath, O_RDONLY | O_NONBLOCK | O_CLOEXEC, full), ownsHandle: true);
        }
        finally
        {
            Native.close(rootFd);
        }
    }

    private static int OpenAt2(int rootFd, string relativePath, ulong flags, string fullPath)
    {
        var how = new OpenHow { Flags = flags, Resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        var fd = Native.syscall(SYS_openat2, rootFd, relativePath.TrimStart('/'), ref how, (nuint)Marshal.SizeOf<OpenHow>());
        return fd < 0 ? throw new LinuxException("openat2", fullPath) : (int)fd;
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial long syscall(long number, int dirfd, string path, ref OpenHow how, nuint size);

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int close(int fd);
    }
}
