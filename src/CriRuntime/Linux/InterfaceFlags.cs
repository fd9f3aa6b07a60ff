using System.Runtime.InteropServices;
using System.Text;

namespace CriRuntime.Linux;

/// <summary>Brings a network interface up with SIOCSIFFLAGS, in the calling thread's network namespace.</summary>
internal static partial class InterfaceFlags
{
    private const int AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    private const ulong SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    private const short IFF_UP = 0x1, IFF_RUNNING = 0x40;

    public static unsafe void BringUp(string name)
    {
        var sock = Native.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0) throw new LinuxException("socket", name);
        try
        {
            // struct ifreq: char ifr_name[16]; union { short ifr_flags; ... } (40 bytes in all).
            var ifreq = stackalloc byte[40];
            new Span<byte>(ifreq, 40).Clear();
            Encoding.ASCII.GetBytes(name, new Span<byte>(ifreq, 15));
            if (Native.ioctl(sock, SIOCGIFFLAGS, ifreq) < 0) throw new LinuxException("ioctl(SIOCGIFFLAGS)", name);
            *(short*)(ifreq + 16) |= IFF_UP | IFF_RUNNING;
            if (Native.ioctl(sock, SIOCSIFFLAGS, ifreq) < 0) throw new LinuxException("ioctl(SIOCSIFFLAGS)", name);
        }
        finally
        {
            Native.close(sock);
        }
    }

    private static unsafe partial class Native
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int socket(int domain, int type, int protocol);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int ioctl(int fd, ulong request, byte* arg);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int close(int fd);
    }
}
