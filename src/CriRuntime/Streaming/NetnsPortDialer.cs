using System.Net;
using System.Net.Sockets;
using CriRuntime.Linux;

namespace CriRuntime.Streaming;

/// <summary>Dials 127.0.0.1:port inside the pod's network namespace (kubelet's port-forward contract: the pod's
/// loopback, so ports bound to localhost only are reachable, as with CRI-O and containerd).</summary>
internal sealed class NetnsPortDialer : IPortDialer
{
    public async Task<Socket> DialAsync(string networkNamespacePath, int port, CancellationToken cancellationToken)
    {
        // "" is a host-network pod: its loopback is the host's.
        var socket = networkNamespacePath.Length == 0
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : await NetworkNamespaceSocket.CreateAsync(networkNamespacePath, AddressFamily.InterNetwork);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
