using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace CriRuntime.Streaming;

/// <summary>
/// Port-forward over WebSocket as kubelet serves it (v4.channel.k8s.io / portforward.k8s.io): the ports come from
/// the <c>port</c> query parameters (else the CRI request); port i gets data channel 2i and error channel 2i+1,
/// and our first message on each channel is the port number, 2 bytes little-endian.
/// </summary>
internal static class WebSocketPortForward
{
    public static readonly string[] Protocols = ["v4.channel.k8s.io", "portforward.k8s.io", "channel.k8s.io"];

    public static async Task ServeAsync(WebSocket socket, PortForwardSpec spec, IReadOnlyList<int> ports, IPortDialer dialer, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var idle = new IdleWatch(idleTimeout, session);
        var channels = new WebSocketChannels(socket, supportsClose: false, idle);
        var inputs = ports.Select((_, i) => channels.Readable((byte)(2 * i))).ToList();
        var reader = channels.RunAsync(cancellationToken);
        _ = reader.ContinueWith(_ => WebSocketRemoteCommand.CancelQuietly(session), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        var forwards = new List<Task>();
        try
        {
            for (var i = 0; i < ports.Count; i++)
            {
                var prefix = new byte[2];
                BinaryPrimitives.WriteUInt16LittleEndian(prefix, (ushort)ports[i]);
                await channels.SendAsync((byte)(2 * i), prefix, session.Token);
                await channels.SendAsync((byte)(2 * i + 1), prefix, session.Token);
            }
            for (var i = 0; i < ports.Count; i++) forwards.Add(ForwardAsync(channels, (byte)(2 * i), inputs[i], spec, ports[i], dialer, session.Token));
            await Task.WhenAll(forwards);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or TimeoutException)
        {
        }
        finally
        {
            await session.CancelAsync();
            await Task.WhenAll(forwards);
            using var finish = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await channels.CloseAsync(finish.Token);
            await reader.WaitAsync(finish.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            if (!reader.IsCompleted) socket.Abort();
            await reader;
        }
    }

    private static async Task ForwardAsync(WebSocketChannels channels, byte dataChannel, Stream input, PortForwardSpec spec, int port, IPortDialer dialer, CancellationToken cancellationToken)
    {
        Socket target;
        try
        {
            target = await dialer.DialAsync(spec.NetworkNamespacePath, port, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            var message = Encoding.UTF8.GetBytes($"error forwarding port {port} to pod {spec.PodSandboxId}: {e.Message}");
            try
            {
                await channels.SendAsync((byte)(dataChannel + 1), message, cancellationToken);
            }
            catch (Exception f) when (f is WebSocketException or IOException or OperationCanceledException)
            {
            }
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        using (target)
        await using (var network = new NetworkStream(target, ownsSocket: false))
        {
            await PortCopy.BothWaysAsync(new DuplexStream(input, channels.Writable(dataChannel)), network, target, () => Task.CompletedTask, cancellationToken);
        }
    }

    /// <summary>Reads from one stream and writes to another, for <see cref="PortCopy"/>.</summary>
    private sealed class DuplexStream(Stream read, Stream write) : Stream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => read.ReadAsync(buffer, cancellationToken);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => write.WriteAsync(buffer, cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => read.Read(buffer, offset, count);
        public override void Write(byte[] buffer, int offset, int count) => write.Write(buffer, offset, count);
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
