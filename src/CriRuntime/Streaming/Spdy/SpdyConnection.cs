using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;

namespace CriRuntime.Streaming.Spdy;

/// <summary>
/// One SPDY/3.1 session over an upgraded HTTP/1.1 connection, either side. A single reader task dispatches frames;
/// writes are serialised by one lock, which also keeps the header compressor's state in wire order.
/// Flow control: we announce and replenish our receive windows; we honour the peer's send windows once it shows
/// that it does flow control (its first WINDOW_UPDATE), because moby/spdystream, kubelet's and kubectl's library,
/// never sends one and relies on TCP backpressure instead.
/// </summary>
internal sealed class SpdyConnection : IAsyncDisposable
{
    public const int MaxFramePayload = 1 << 20;
    private const int MaxHeaderBlock = 256 * 1024;
    private const int MaxStreams = 1024;

    private readonly Stream _transport;
    private readonly bool _isClient;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Zlib _deflater = Zlib.CreateDeflater(SpdyDictionary.Bytes);
    private readonly Zlib _inflater = Zlib.CreateInflater(SpdyDictionary.Bytes);
    private readonly ConcurrentDictionary<int, SpdyStream> _streams = new();
    private readonly Channel<SpdyStream> _incoming = Channel.CreateUnbounded<SpdyStream>();
    private readonly CancellationTokenSource _closed = new();
    private readonly TimeSpan _idleTimeout;
    private int _nextStreamId;
    private IdleWatch? _idle;
    private int _initialSendWindow = SpdyFrames.DefaultWindow;
    private volatile bool _peerFlowControl;
    private int _disposed;
    private readonly TaskCompletionSource _runDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;

    public SpdyConnection(Stream transport, bool isClient, TimeSpan idleTimeout)
    {
        _transport = transport;
        _isClient = isClient;
        _nextStreamId = isClient ? 1 : 2;
        _idleTimeout = idleTimeout;
    }

    /// <summary>Streams the peer opened, in order. Completes when the session ends.</summary>
    public ChannelReader<SpdyStream> IncomingStreams => _incoming.Reader;

    /// <summary>Cancelled when the session ends for any reason.</summary>
    public CancellationToken Closed => _closed.Token;

    internal bool PeerDoesFlowControl => _peerFlowControl;
    internal int InitialSendWindow => _initialSendWindow;

    /// <summary>Reads and dispatches frames until the peer closes, the idle timeout passes or the session is disposed.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0) throw new InvalidOperationException("session already running");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        using var idle = new IdleWatch(_idleTimeout, linked);
        _idle = idle;
        var header = new byte[SpdyFrames.HeaderLength];
        try
        {
            while (true)
            {
                if (!await ReadFullyAsync(header, linked.Token)) break;
                var frame = SpdyFrames.ParseHeader(header);
                if (frame.Length > MaxFramePayload) throw new SpdyProtocolException($"frame of {frame.Length} bytes");
                var payload = new byte[frame.Length];
                if (!await ReadFullyAsync(payload, linked.Token)) break;
                _idle?.Touch();
                if (frame.IsControl) await OnControlFrameAsync(frame, payload); else await OnDataFrameAsync(frame, payload, linked.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SpdyProtocolException or ObjectDisposedException)
        {
            // The session is over either way; streams see end-of-stream below.
        }
        finally
        {
            Shutdown();
            _runDone.TrySetResult();
        }
    }

    private async Task<bool> ReadFullyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _transport.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                if (read == 0) return false;
                throw new IOException("connection closed inside a frame");
            }
            read += n;
        }
        return true;
    }

    private async Task OnControlFrameAsync(SpdyFrameHeader frame, byte[] p)
    {
        switch (frame.Type)
        {
            case SpdyFrames.SynStream:
                await OnSynStreamAsync(frame, p);
                break;
            case SpdyFrames.SynReply:
            case SpdyFrames.Headers:
                Require(p, 4);
                var headers = SpdyFrames.DecodeHeaderBlock(_inflater.Decompress(p.AsSpan(4), MaxHeaderBlock));
                if (_streams.TryGetValue(StreamIdAt(p, 0), out var replied))
                {
                    replied.OnReply(headers);
                    if ((frame.Flags & SpdyFrames.FlagFin) != 0) replied.OnRemoteFin();
                }
                break;
            case SpdyFrames.RstStream:
                Require(p, 8);
                if (_streams.TryRemove(StreamIdAt(p, 0), out var reset)) reset.OnReset();
                break;
            case SpdyFrames.Settings:
                OnSettings(p);
                break;
            case SpdyFrames.Ping:
                Require(p, 4);
                // A ping from the peer carries its own parity; echo it. Ours are never sent, so nothing else to match.
                var id = BinaryPrimitives.ReadUInt32BigEndian(p);
                if ((id % 2 == 1) != _isClient) await WriteControlAsync(SpdyFrames.Ping, 0, p.AsMemory(0, 4));
                break;
            case SpdyFrames.GoAway:
                throw new OperationCanceledException("peer sent GOAWAY");
            case SpdyFrames.WindowUpdate:
                Require(p, 8);
                _peerFlowControl = true;
                if (_streams.TryGetValue(StreamIdAt(p, 0), out var updated)) updated.AddSendWindow((int)(BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(4)) & 0x7fffffff));
                break;
            default:
                break; // SPDY: unknown control frames are ignored.
        }
    }

    private async Task OnSynStreamAsync(SpdyFrameHeader frame, byte[] p)
    {
        Require(p, 10);
        var streamId = StreamIdAt(p, 0);
        // Every block must go through the inflater, even for a stream we refuse, or the shared zlib state drifts.
        var headers = SpdyFrames.DecodeHeaderBlock(_inflater.Decompress(p.AsSpan(10), MaxHeaderBlock));
        if (streamId == 0 || (streamId % 2 == 1) == _isClient || _streams.ContainsKey(streamId))
        {
            await ResetAsync(streamId, SpdyFrames.RstProtocolError);
            return;
        }
        if (_streams.Count >= MaxStreams)
        {
            await ResetAsync(streamId, SpdyFrames.RstRefusedStream);
            return;
        }
        var stream = new SpdyStream(this, streamId, headers);
        _streams[streamId] = stream;
        if ((frame.Flags & SpdyFrames.FlagFin) != 0) stream.OnRemoteFin();
        if ((frame.Flags & SpdyFrames.FlagUnidirectional) != 0) stream.MarkLocalClosed();
        await _incoming.Writer.WriteAsync(stream);
    }

    private async Task OnDataFrameAsync(SpdyFrameHeader frame, byte[] payload, CancellationToken cancellationToken)
    {
        if (!_streams.TryGetValue(frame.StreamId, out var stream))
        {
            await ResetAsync(frame.StreamId, SpdyFrames.RstInvalidStream);
            return;
        }
        if (payload.Length > 0) await stream.OnDataAsync(payload, cancellationToken);
        if ((frame.Flags & SpdyFrames.FlagFin) != 0) stream.OnRemoteFin();
    }

    private void OnSettings(byte[] p)
    {
        Require(p, 4);
        var count = BinaryPrimitives.ReadInt32BigEndian(p);
        if (count < 0 || p.Length < 4 + (long)count * 8) throw new SpdyProtocolException("truncated SETTINGS");
        for (var i = 0; i < count; i++)
        {
            var id = (int)(BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(4 + i * 8)) & 0xffffff);
            var value = BinaryPrimitives.ReadInt32BigEndian(p.AsSpan(8 + i * 8));
            if (id == SpdyFrames.SettingsInitialWindowSize && value > 0) _initialSendWindow = value;
        }
    }

    /// <summary>Opens a stream (the client side of remotecommand and port-forward does this).</summary>
    public async Task<SpdyStream> OpenStreamAsync(IReadOnlyList<KeyValuePair<string, string>> headers, bool fin, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var id = _nextStreamId;
            _nextStreamId += 2;
            var stream = new SpdyStream(this, id, headers);
            _streams[id] = stream;
            var block = _deflater.Compress(SpdyFrames.EncodeHeaderBlock(headers));
            var frame = new byte[SpdyFrames.HeaderLength + 10 + block.Length];
            SpdyFrames.WriteControlHeader(frame, SpdyFrames.SynStream, fin ? SpdyFrames.FlagFin : (byte)0, 10 + block.Length);
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), id);
            block.CopyTo(frame.AsSpan(18));
            if (fin) stream.MarkLocalClosed();
            await WriteRawLockedAsync(frame, cancellationToken);
            return stream;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal async Task WriteSynReplyAsync(int streamId, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var block = _deflater.Compress(SpdyFrames.EncodeHeaderBlock([]));
            var frame = new byte[SpdyFrames.HeaderLength + 4 + block.Length];
            SpdyFrames.WriteControlHeader(frame, SpdyFrames.SynReply, 0, 4 + block.Length);
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), streamId);
            block.CopyTo(frame.AsSpan(12));
            await WriteRawLockedAsync(frame, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal async Task WriteDataAsync(int streamId, ReadOnlyMemory<byte> data, bool fin, CancellationToken cancellationToken)
    {
        var frame = new byte[SpdyFrames.HeaderLength + data.Length];
        SpdyFrames.WriteDataHeader(frame, streamId, fin ? SpdyFrames.FlagFin : (byte)0, data.Length);
        data.CopyTo(frame.AsMemory(SpdyFrames.HeaderLength));
        await WriteRawAsync(frame, cancellationToken);
    }

    internal Task WriteWindowUpdateAsync(int streamId, int delta, CancellationToken cancellationToken)
    {
        var p = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(p, streamId);
        BinaryPrimitives.WriteInt32BigEndian(p.AsSpan(4), delta);
        return WriteControlAsync(SpdyFrames.WindowUpdate, 0, p, cancellationToken);
    }

    internal async Task ResetAsync(int streamId, int status)
    {
        _streams.TryRemove(streamId, out _);
        var p = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(p, streamId);
        BinaryPrimitives.WriteInt32BigEndian(p.AsSpan(4), status);
        try
        {
            await WriteControlAsync(SpdyFrames.RstStream, 0, p);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    internal void OnStreamFullyClosed(int streamId) => _streams.TryRemove(streamId, out _);

    private Task WriteControlAsync(int type, byte flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var frame = new byte[SpdyFrames.HeaderLength + payload.Length];
        SpdyFrames.WriteControlHeader(frame, type, flags, payload.Length);
        payload.CopyTo(frame.AsMemory(SpdyFrames.HeaderLength));
        return WriteRawAsync(frame, cancellationToken);
    }

    private async Task WriteRawAsync(byte[] frame, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        await _writeLock.WaitAsync(linked.Token);
        try
        {
            await WriteRawLockedAsync(frame, linked.Token);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task WriteRawLockedAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _transport.WriteAsync(frame, cancellationToken);
        await _transport.FlushAsync(cancellationToken);
        _idle?.Touch();
    }

    private static int StreamIdAt(byte[] p, int offset) => (int)(BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(offset)) & 0x7fffffff);

    private static void Require(byte[] p, int length)
    {
        if (p.Length < length) throw new SpdyProtocolException("control frame too short");
    }

    private void Shutdown()
    {
        if (!_closed.IsCancellationRequested) _closed.Cancel();
        _incoming.Writer.TryComplete();
        foreach (var stream in _streams.Values) stream.OnReset();
        _streams.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Shutdown();
        await _transport.DisposeAsync();
        if (Volatile.Read(ref _running) != 0) await _runDone.Task;
        // Waiting for the lock means no writer is inside zlib when it is freed.
        await _writeLock.WaitAsync();
        _deflater.Dispose();
        _inflater.Dispose();
    }
}
