using System.Net.Sockets;

namespace CriRuntime.Linux;

/// <summary>
/// Creates a TCP socket inside another network namespace (on a <see cref="NetworkNamespaceThread"/>): a socket
/// stays in the namespace it was created in for its whole life, so the daemon can dial ports inside a pod.
/// </summary>
internal static class NetworkNamespaceSocket
{
    public static Task<Socket> CreateAsync(string namespacePath, AddressFamily family) =>
        NetworkNamespaceThread.RunAsync(namespacePath, () => new Socket(family, SocketType.Stream, ProtocolType.Tcp));
}
