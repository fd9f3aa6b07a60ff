using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;

namespace CriRuntime.Streaming;

/// <summary>
/// The Kubernetes channel WebSocket framing (k8s.io/apimachinery wsstream): every binary message starts with one
/// byte naming its channel. v5.channel.k8s.io adds channel 255: a message <c>[255, n]</c> half-closes channel n.
/// One reader task feeds a pipe per readable channel; sends are serialised.
/// </summary>
internal sealed class WebSocketChannels
{
    public const byte CloseChannel = 255;
    private const int MaxMessage = 1 << 20;

    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Dictionary<byte, Pipe> _readable = [];
    private readonly bool _supportsClose;

    public WebSocketChannels(WebSocket socket, bool supportsClose, IdleWatch? idle = null)
    {
        _socket = socket;
        _supportsClose = supportsClose;
        _idle = idle;
    }

    private readonly IdleWatch? _idle;

    /// <summary>A readable channel (client to us); call before <see cref="RunAsync"/>.</summary>
    public Stream Readable(byte channel)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024));
        _readable[channel] = pipe;
        return pipe.Reader.AsStream();
    }

    /// <summary>A writable channel (us to client) as a stream; each write is one message.</summary>
    public Stream Writable(byte channel) => new ChannelWriteStream(this, channel);

    /// <summary>Dispatches incoming messages until the client closes or the token fires; then every readable channel ends.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                buffer.Clear();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.GetMemory(16 * 1024), cancellationToken);
                    buffer.Advance(result.Count);
                    if (buffer.WrittenCount > MaxMessage) throw new WebSocketException("message too large");
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close) break;
                _idle?.Touch();
                await DispatchAsync(buffer.WrittenMemory, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            foreach (var pipe in _readable.Values) await pipe.Writer.CompleteAsync();
        }
    }

    private async Task DispatchAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.IsEmpty) return;
        var channel = message.Span[0];
        if (channel == CloseChannel && _supportsClose)
        {
            if (message.Length > 1 && _readable.TryGetValue(message.Span[1], out var closing)) await closing.Writer.CompleteAsync();
            return;
        }
        if (!_readable.TryGetValue(channel, out var pipe) || message.Length == 1) return;
        try
        {
            await pipe.Writer.WriteAsync(message[1..], cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // Written after the client half-closed it: dropped, as wsstream does.
        }
    }

    public async Task SendAsync(byte channel, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var message = new byte[data.Length + 1];
        message[0] = channel;
        data.CopyTo(message.AsMemory(1));
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Binary, true, cancellationToken);
            _idle?.Touch();
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private sealed class ChannelWriteStream(WebSocketChannels owner, byte channel) : Stream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            buffer.IsEmpty ? ValueTask.CompletedTask : new ValueTask(owner.SendAsync(channel, buffer, cancellationToken));

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => false;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
