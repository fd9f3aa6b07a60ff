using System.Net.Sockets;

namespace CriRuntime.Streaming;

/// <summary>Copies a client stream and a TCP connection both ways, half-closing each direction as the other ends.</summary>
internal static class PortCopy
{
    public static async Task BothWaysAsync(Stream client, NetworkStream network, Socket socket, Func<Task> closeClientWrite, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toPod = Task.Run(async () =>
        {
            try
            {
                await client.CopyToAsync(network, done.Token);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }, CancellationToken.None);
        var fromPod = Task.Run(async () =>
        {
            try
            {
                await network.CopyToAsync(client, done.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            await closeClientWrite();
        }, CancellationToken.None);
        // The pod closing its side ends the forward; the client closing only its side lets replies drain.
        await fromPod;
        await done.CancelAsync();
        await toPod;
    }
}
