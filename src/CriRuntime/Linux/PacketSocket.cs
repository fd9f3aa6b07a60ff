using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>
/// Connects a unix SOCK_SEQPACKET socket (conmon's attach socket). sun_path holds 107 bytes; a longer path is
/// reached through its directory opened with O_PATH, as /proc/self/fd/N/NAME (CRI-O does the same).
/// </summary>
internal static partial class PacketSocket
{
    private const int MaxSunPath = 107, O_PATH = 0x200000, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;

    public static async Task<Socket> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        var dirFd = -1;
        try
        {
            var target = path;
            if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxSunPath)
            {
                var dir = Path.GetDirectoryName(path) ?? "/";
                dirFd = Native.open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dirFd < 0) throw new LinuxException("open", dir);
                target = $"/proc/self/fd/{dirFd}/{Path.GetFileName(path)}";
            }
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(target), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        finally
        {
            if (dirFd >= 0) Native.close(dirFd);
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc")]
        internal static partial int close(int fd);
    }
}
