using System.Buffers;
using CriRuntime.Hosting.Http2;

namespace CriRuntime.Tests.Hosting.Http2;

/// <summary>What a client writes: the preface, then frames; header blocks from an indexing HPACK encoder.</summary>
internal sealed class ClientStream(int tableSize = 4096, bool huffman = true)
{
    private readonly ArrayBufferWriter<byte> _bytes = Init();
    private readonly HpackEncoder _encoder = new(tableSize, huffman);

    public void Settings() => Raw(Http2Frame.TypeSettings, 0, 0, []);

    public void Headers(int streamId, IEnumerable<HeaderField> fields, bool endStream = false)
    {
        var block = new ArrayBufferWriter<byte>();
        _encoder.WriteIndexed(fields, block);
        Http2FrameWriter.WriteHeaderBlock(_bytes, streamId, endStream ? Http2Frame.FlagEndStream : (byte)0, [], block.WrittenSpan,
            Http2Frame.DefaultMaxFrameSize);
    }

    public void Data(int streamId, byte[] payload) => Raw(Http2Frame.TypeData, 0, streamId, payload);

    public void Raw(byte type, int flags, int streamId, byte[] payload) =>
        Http2FrameWriter.WriteFrame(_bytes, type, (byte)flags, streamId, payload);

    public byte[] ToArray() => _bytes.WrittenSpan.ToArray();

    private static ArrayBufferWriter<byte> Init()
    {
        var bytes = new ArrayBufferWriter<byte>();
        bytes.Write(Http2Frame.Preface);
        return bytes;
    }
}

/// <summary>What Kestrel reads: frames after the preface, and each header block decoded by a fresh decoder.</summary>
internal sealed class KestrelView
{
    public KestrelView(byte[] output)
    {
        Assert.Equal(Http2Frame.Preface.ToArray(), output[..Http2Frame.Preface.Length]);
        var block = new List<byte>();
        for (var pos = Http2Frame.Preface.Length; pos < output.Length;)
        {
            var frame = Http2Frame.Read(output.AsSpan(pos, Http2Frame.HeaderLength));
            var payload = output.AsSpan(pos + Http2Frame.HeaderLength, frame.Length).ToArray();
            Frames.Add((frame, payload));
            pos += Http2Frame.HeaderLength + frame.Length;
            if (frame.Type is not (Http2Frame.TypeHeaders or Http2Frame.TypeContinuation)) continue;
            Assert.False(frame.Has(Http2Frame.FlagPadded));
            block.AddRange(frame.Type == Http2Frame.TypeHeaders && frame.Has(Http2Frame.FlagPriority) ? payload[5..] : payload);
            if (!frame.Has(Http2Frame.FlagEndHeaders)) continue;
            Blocks.Add((frame.StreamId, Decoder.Decode(block.ToArray()).ToArray()));
            block.Clear();
        }
    }

    public HpackDecoder Decoder { get; } = new(4096);
    public List<(Http2Frame Frame, byte[] Payload)> Frames { get; } = [];
    public List<(int StreamId, HeaderField[] Fields)> Blocks { get; } = [];
}
