using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using CriRuntime.Hosting.Http2;

namespace CriRuntime.IntegrationTests.Hosting;

/// <summary>The answer to one gRPC call as the wire carried it.</summary>
public sealed record RawGrpcResult(string? HttpStatus, int? GrpcStatus, string? GrpcMessage, List<byte[]> Messages, int? ResetCode);

/// <summary>
/// A minimal HTTP/2 gRPC client over a unix socket that sends whatever :authority it is told, as grpc-go does with
/// a socket path. Its HPACK encoder indexes every header (incremental indexing, Huffman), so repeated requests on
/// one connection refer to the client's dynamic table, as kubelet's do. One call at a time.
/// </summary>
public sealed class RawHttp2Client : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly HpackEncoder _encoder = new(4096, huffman: true);
    private readonly HpackDecoder _decoder = new(4096);
    private readonly byte[] _header = new byte[Http2Frame.HeaderLength];
    private int _nextStreamId = 1;

    private RawHttp2Client(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Entries in the client's HPACK table: greater than 0 once requests were indexed.</summary>
    public int EncoderTableEntries => _encoder.Table.Count;

    public static async Task<RawHttp2Client> ConnectAsync(string socketPath, bool sendPreface = true)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        var client = new RawHttp2Client(socket);
        if (sendPreface)
        {
            var start = new ArrayBufferWriter<byte>();
            start.Write(Http2Frame.Preface);
            Http2FrameWriter.WriteFrame(start, Http2Frame.TypeSettings, 0, 0, []);
            await client.SendAsync(start.WrittenMemory.ToArray());
        }
        return client;
    }

    public Task SendAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>Sends a header block the way a client would, but with hand-made HPACK octets.</summary>
    public Task SendHeadersAsync(byte[] block, byte flags = Http2Frame.FlagEndHeaders)
    {
        var output = new ArrayBufferWriter<byte>();
        Http2FrameWriter.WriteFrame(output, Http2Frame.TypeHeaders, flags, _nextStreamId, block);
        _nextStreamId += 2;
        return SendAsync(output.WrittenMemory.ToArray());
    }

    /// <summary>
    /// One gRPC call with a single request message; returns when the server ends the stream, or, with
    /// <paramref name="untilHeaders"/>, as soon as the response headers arrive (for streams that stay open).
    /// </summary>
    public async Task<RawGrpcResult> CallAsync(string authority, string method, byte[] message, TimeSpan? timeout = null, bool untilHeaders = false)
    {
        var streamId = _nextStreamId;
        _nextStreamId += 2;
        var output = new ArrayBufferWriter<byte>();
        var block = new ArrayBufferWriter<byte>();
        _encoder.WriteIndexed(
        [
            new(":method", "POST"), new(":scheme", "http"), new(":path", method), new(":authority", authority),
            new("content-type", "application/grpc"), new("user-agent", "grpc-go/1.33.3 raw-test-client"), new("te", "trailers"),
        ], block);
        Http2FrameWriter.WriteHeaderBlock(output, streamId, 0, [], block.WrittenSpan, Http2Frame.DefaultMaxFrameSize);
        var data = new byte[5 + message.Length];
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(1), message.Length);
        message.CopyTo(data, 5);
        Http2FrameWriter.WriteFrame(output, Http2Frame.TypeData, Http2Frame.FlagEndStream, streamId, data);
        await SendAsync(output.WrittenMemory.ToArray());

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await ReadResultAsync(streamId, untilHeaders, cts.Token);
    }

    /// <summary>True when the server closes the connection (EOF or reset) within the timeout; GOAWAY is read past.</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer, cts.Token) > 0) { }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Half-closes: the server sees end of input, as when a client dies mid-frame.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    private async Task<RawGrpcResult> ReadResultAsync(int streamId, bool untilHeaders, CancellationToken ct)
    {
        var messages = new List<byte[]>();
        var fields = new List<HeaderField>();
        var body = new List<byte>();
        var block = new List<byte>();
        while (true)
        {
            var (frame, payload) = await ReadFrameAsync(ct);
            switch (frame.Type)
            {
                case Http2Frame.TypeSettings when (frame.Flags & 0x1) == 0:
                    await SendFrameAsync(Http2Frame.TypeSettings, 0x1, 0, []);
                    break;
                case 0x6 when (frame.Flags & 0x1) == 0:   // PING
                    await SendFrameAsync(0x6, 0x1, 0, payload);
                    break;
                case 0x7:   // GOAWAY
                    throw new IOException($"GOAWAY error {BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4))}");
                case 0x3 when frame.StreamId == streamId:   // RST_STREAM
                    return new RawGrpcResult(null, null, null, messages, BinaryPrimitives.ReadInt32BigEndian(payload));
                case Http2Frame.TypeData when frame.StreamId == streamId:
                    body.AddRange(payload);
                    if (payload.Length > 0) await SendWindowUpdateAsync(payload.Length);
                    break;
                case Http2Frame.TypeHeaders or Http2Frame.TypeContinuation:
                    block.AddRange(frame.Type == Http2Frame.TypeHeaders ? HeaderFragment(frame, payload) : payload);
                    if (frame.Has(Http2Frame.FlagEndHeaders))
                    {
                        fields.AddRange(_decoder.Decode(block.ToArray()));
                        block.Clear();
                        if (untilHeaders && frame.StreamId == streamId && !frame.Has(Http2Frame.FlagEndStream))
                        {
                            return new RawGrpcResult(fields.LastOrDefault(f => f.Name == ":status").Value, null, null, messages, null);
                        }
                    }
                    break;
            }
            if (frame.StreamId == streamId && frame.Has(Http2Frame.FlagEndStream))
            {
                for (var pos = 0; pos + 5 <= body.Count;)
                {
                    var length = BinaryPrimitives.ReadInt32BigEndian(body.GetRange(pos + 1, 4).ToArray());
                    messages.Add(body.GetRange(pos + 5, length).ToArray());
                    pos += 5 + length;
                }
                string? Field(string name) => fields.LastOrDefault(f => f.Name == name).Value;
                var status = Field("grpc-status");
                return new RawGrpcResult(Field(":status"), status is null ? null : int.Parse(status), Field("grpc-message"), messages, null);
            }
        }
    }

    private static byte[] HeaderFragment(Http2Frame frame, byte[] payload)
    {
        var start = frame.Has(Http2Frame.FlagPadded) ? 1 : 0;
        var padding = frame.Has(Http2Frame.FlagPadded) ? payload[0] : 0;
        if (frame.Has(Http2Frame.FlagPriority)) start += 5;
        return payload[start..(payload.Length - padding)];
    }

    private async Task<(Http2Frame Frame, byte[] Payload)> ReadFrameAsync(CancellationToken ct)
    {
        await _stream.ReadExactlyAsync(_header, ct);
        var frame = Http2Frame.Read(_header);
        var payload = new byte[frame.Length];
        await _stream.ReadExactlyAsync(payload, ct);
        return (frame, payload);
    }

    private Task SendWindowUpdateAsync(int increment)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, increment);
        return SendFrameAsync(0x8, 0, 0, payload);
    }

    private Task SendFrameAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        var output = new ArrayBufferWriter<byte>();
        Http2FrameWriter.WriteFrame(output, type, flags, streamId, payload);
        return SendAsync(output.WrittenMemory.ToArray());
    }

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync();
}
