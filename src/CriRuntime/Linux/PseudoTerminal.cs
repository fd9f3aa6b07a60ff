using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CriRuntime.Linux;

/// <summary>
/// A new pty pair, both ends close-on-exec (openpty(3) would leak them into every child spawned meanwhile):
/// posix_openpt, unlockpt, then TIOCGPTPEER for the slave.
/// </summary>
internal static partial class PseudoTerminal
{
    private const int O_RDWR = 2, O_NOCTTY = 0x100, O_CLOEXEC = 0x80000;
    private const ulong TIOCGPTPEER = 0x5441;

    /// <returns>The master (owned) and the slave fd, which the caller closes once a child has it.</returns>
    public static (SafeFileHandle Master, int Slave) Open()
    {
        var master = Native.posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0) throw new LinuxException("posix_openpt", "/dev/ptmx");
        var handle = new SafeFileHandle(master, ownsHandle: true);
        if (Native.unlockpt(master) < 0)
        {
            var error = new LinuxException("unlockpt", null);
            handle.Dispose();
            throw error;
        }
        var slave = Native.ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
        {
            var error = new LinuxException("ioctl TIOCGPTPEER", null);
            handle.Dispose();
            throw error;
        }
        return (handle, slave);
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int posix_openpt(int flags);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int unlockpt(int fd);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int ioctl(int fd, ulong request, int argument);
    }
}
