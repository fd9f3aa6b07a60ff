using System.Threading.Channels;

namespace CriRuntime.Streaming.Spdy;

/// <summary>
/// One SPDY stream as a .NET <see cref="Stream"/>: reads return the peer's data frames (0 at its FIN or a reset),
/// writes send data frames, <see cref="CloseWriteAsync"/> sends our FIN. Received data is queued boundedly; a full
/// queue stalls the session's reader, which is TCP backpressure for peers that ignore flow control.
/// </summary>
internal sealed class SpdyStream : Stream
{
    private const int MaxDataFrame = 32 * 1024;
    private const int QueuedFrames = 64;

    private readonly SpdyConnection _connection;
    private readonly Channel<byte[]> _received = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueuedFrames) { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<IReadOnlyList<KeyValuePair<string, string>>> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _windowOpened = new(0);
    private readonly object _gate = new();
    private ReadOnlyMemory<byte> _current;
    private int _sendWindow;
    private int _unacknowledged;
    private bool _localClosed, _remoteClosed, _reset;

    public SpdyStream(SpdyConnection connection, int id, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        _connection = connection;
        Id = id;
        Headers = headers;
        _sendWindow = connection.InitialSendWindow;
    }

    public int Id { get; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The peer's SYN_REPLY headers (client side).</summary>
    public Task<IReadOnlyList<KeyValuePair<string, string>>> Reply => _reply.Task;

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public Task SendReplyAsync(CancellationToken cancellationToken) => _connection.WriteSynReplyAsync(Id, cancellationToken);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current.IsEmpty)
        {
            try
            {
                if (!await _received.Reader.WaitToReadAsync(cancellationToken)) return 0;
            }
            catch (ChannelClosedException)
            {
                return 0;
            }
            if (_received.Reader.TryRead(out var next)) _current = next;
        }
        var n = Math.Min(buffer.Length, _current.Length);
        _current[..n].CopyTo(buffer);
        _current = _current[n..];
        await AcknowledgeAsync(n, cancellationToken);
        return n;
    }

    // Replenish the peer's window once half of it has been consumed, as HTTP/2 implementations do.
    private async Task AcknowledgeAsync(int consumed, CancellationToken cancellationToken)
    {
        _unacknowledged += consumed;
        if (_unacknowledged < SpdyFrames.DefaultWindow / 2) return;
        var delta = _unacknowledged;
        _unacknowledged = 0;
        try
        {
            if (!_remoteClosed) await _connection.WriteWindowUpdateAsync(Id, delta, cancellationToken);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            if (_reset || _localClosed) throw new IOException($"SPDY stream {Id} is closed");
            var n = Math.Min(buffer.Length, MaxDataFrame);
            if (_connection.PeerDoesFlowControl) n = await ReserveWindowAsync(n, cancellationToken);
            await _connection.WriteDataAsync(Id, buffer[..n], false, cancellationToken);
            buffer = buffer[n..];
        }
    }

    private async Task<int> ReserveWindowAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_reset) throw new IOException($"SPDY stream {Id} was reset");
                if (_sendWindow > 0)
                {
                    var n = Math.Min(wanted, _sendWindow);
                    _sendWindow -= n;
                    return n;
                }
            }
            await _windowOpened.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Half-closes our side (an empty data frame with FIN). Idempotent.</summary>
    public async Task CloseWriteAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_localClosed || _reset) return;
            _localClosed = true;
        }
        try
        {
            await _connection.WriteDataAsync(Id, ReadOnlyMemory<byte>.Empty, true, cancellationToken);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
        MaybeForget();
    }

    public Task ResetAsync(int status = SpdyFrames.RstCancel)
    {
        OnReset();
        return _connection.ResetAsync(Id, status);
    }

    internal async Task OnDataAsync(byte[] data, CancellationToken cancellationToken)
    {
        if (_remoteClosed || _reset) return;
        try
        {
            await _received.Writer.WriteAsync(data, cancellationToken);
        }
        catch (ChannelClosedException)
        {
        }
    }

    internal void OnReply(IReadOnlyList<KeyValuePair<string, string>> headers) => _reply.TrySetResult(headers);

    internal void OnRemoteFin()
    {
        lock (_gate) _remoteClosed = true;
        _received.Writer.TryComplete();
        MaybeForget();
    }

    internal void MarkLocalClosed()
    {
        lock (_gate) _localClosed = true;
    }

    internal void OnReset()
    {
        lock (_gate) _reset = true;
        _received.Writer.TryComplete();
        _reply.TrySetException(new IOException($"SPDY stream {Id} was reset"));
        _windowOpened.Release();
    }

    internal void AddSendWindow(int delta)
    {
        lock (_gate) _sendWindow += delta;
        _windowOpened.Release();
    }

    private void MaybeForget()
    {
        lock (_gate)
        {
            if (!(_localClosed && _remoteClosed)) return;
        }
        _connection.OnStreamFullyClosed(Id);
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
