using System.Net.Sockets;
using System.Text;

namespace CriRuntime.Hosting;

/// <summary>
/// The sd_notify protocol: one datagram to $NOTIFY_SOCKET. Written here rather than taken from
/// Microsoft.Extensions.Hosting.Systemd, which only notifies when its parent process is systemd; we want readiness
/// reported to any supervisor that sets NOTIFY_SOCKET (systemd, s6, tests), and only once the CRI socket serves.
/// </summary>
internal static class SystemdNotifier
{
    public static void Notify(string state)
    {
        var path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }
        // "@name" is an abstract socket.
        if (path[0] == '@')
        {
            path = "\0" + path[1..];
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
        }
        catch (SocketException)
        {
            // The supervisor went away; nothing to tell.
        }
    }
}
