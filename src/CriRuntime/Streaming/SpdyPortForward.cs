using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using CriRuntime.Streaming.Spdy;

namespace CriRuntime.Streaming;

/// <summary>
/// portforward.k8s.io over SPDY: for each forwarded connection the client opens an error stream and a data stream
/// carrying the same <c>port</c> and <c>requestID</c> headers. We dial the port in the pod's network namespace and
/// copy both ways; a failure is written as text on that pair's error stream. Old clients without requestID pair
/// the streams by id (data = error + 2), as kubelet does.
/// </summary>
internal static class SpdyPortForward
{
    public const string Protocol = "portforward.k8s.io";

    public static async Task ServeAsync(SpdyConnection connection, PortForwardSpec spec, IPortDialer dialer, CancellationToken cancellationToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Closed);
        var pending = new Dictionary<string, (SpdyStream? Data, SpdyStream? Error)>(StringComparer.Ordinal);
        var running = new List<Task>();
        try
        {
            await foreach (var stream in connection.IncomingStreams.ReadAllAsync(session.Token))
            {
                var type = stream.Header("streamtype");
                var requestId = stream.Header("requestid");
                if (string.IsNullOrEmpty(requestId))
                {
                    requestId = (type == "data" ? stream.Id - 2 : stream.Id).ToString(CultureInfo.InvariantCulture);
                }
                if (type is not ("data" or "error"))
                {
                    await stream.ResetAsync(SpdyFrames.RstProtocolError);
                    continue;
                }
                await stream.SendReplyAsync(session.Token);
                pending.TryGetValue(requestId, out var pair);
                pair = type == "data" ? (stream, pair.Error) : (pair.Data, stream);
                if (pair.Data is null || pair.Error is null)
                {
                    pending[requestId] = pair;
                    continue;
                }
                pending.Remove(requestId);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(ForwardAsync(pair.Data, pair.Error, spec, dialer, session.Token));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException or IOException)
        {
        }
        finally
        {
            await session.CancelAsync();
            await Task.WhenAll(running);
        }
    }

    private static async Task ForwardAsync(SpdyStream data, SpdyStream error, PortForwardSpec spec, IPortDialer dialer, CancellationToken cancellationToken)
    {
        if (!int.TryParse(data.Header("port"), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            await FailAsync(error, data, $"invalid port {data.Header("port")}", cancellationToken);
            return;
        }
        Socket socket;
        try
        {
            socket = await dialer.DialAsync(spec.NetworkNamespacePath, port, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or UnauthorizedAccessException)
        {
            await FailAsync(error, data, $"error forwarding port {port} to pod {spec.PodSandboxId}: {e.Message}", cancellationToken);
            return;
        }
        using (socket)
        await using (var network = new NetworkStream(socket, ownsSocket: false))
        {
            await PortCopy.BothWaysAsync(data, network, socket, () => data.CloseWriteAsync(CancellationToken.None), cancellationToken);
        }
        await error.CloseWriteAsync(CancellationToken.None);
    }

    private static async Task FailAsync(SpdyStream error, SpdyStream data, string message, CancellationToken cancellationToken)
    {
        try
        {
            await error.WriteAsync(Encoding.UTF8.GetBytes(message), cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
        await error.CloseWriteAsync(CancellationToken.None);
        await data.CloseWriteAsync(CancellationToken.None);
    }
}
