using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CriRuntime.Linux;

/// <summary>Terminal ioctls on a pty master.</summary>
internal static unsafe partial class Terminal
{
    private const ulong TIOCSWINSZ = 0x5414;

    /// <summary>Sets the window size; the kernel sends SIGWINCH to the terminal's foreground process group.</summary>
    public static void SetWindowSize(SafeFileHandle master, ushort columns, ushort rows)
    {
        var size = stackalloc ushort[4];
        size[0] = rows;
        size[1] = columns;
        var added = false;
        master.DangerousAddRef(ref added);
        try
        {
            if (Native.ioctl((int)master.DangerousGetHandle(), TIOCSWINSZ, size) < 0) throw new LinuxException("ioctl TIOCSWINSZ", null);
        }
        finally
        {
            if (added) master.DangerousRelease();
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int ioctl(int fd, ulong request, void* argument);
    }
}
