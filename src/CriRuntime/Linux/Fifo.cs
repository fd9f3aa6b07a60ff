using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CriRuntime.Linux;

/// <summary>Writing to a fifo without waiting for a reader: a plain O_WRONLY open blocks until one comes.</summary>
internal static partial class Fifo
{
    private const int O_WRONLY = 1, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, ENXIO = 6;

    /// <summary>Writes one message (at most PIPE_BUF bytes, so it is atomic); false when nobody reads the fifo.</summary>
    public static bool TryWrite(string path, ReadOnlySpan<byte> message)
    {
        var fd = Native.open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == ENXIO ? false : throw new LinuxException("open", path, errno);
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        unsafe
        {
            fixed (byte* p = message)
            {
                if (Native.write(fd, p, message.Length) < 0) throw new LinuxException("write", path);
            }
        }
        return true;
    }

    private static unsafe partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial nint write(int fd, byte* buffer, nint count);
    }
}
