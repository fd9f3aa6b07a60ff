using System.Buffers;

namespace CriRuntime.Hosting.Http2;

/// <summary>Writes HTTP/2 frames; a header block is split into HEADERS + CONTINUATION frames (RFC 7540 §6.2, §6.10).</summary>
internal static class Http2FrameWriter
{
    public static void WriteFrame(IBufferWriter<byte> output, byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var span = output.GetSpan(Http2Frame.HeaderLength + payload.Length);
        new Http2Frame(payload.Length, type, flags, streamId).Write(span);
        payload.CopyTo(span[Http2Frame.HeaderLength..]);
        output.Advance(Http2Frame.HeaderLength + payload.Length);
    }

    /// <summary>
    /// Writes a header block without padding. <paramref name="priority"/> (5 octets or empty) goes in the HEADERS
    /// frame; <paramref name="flags"/> may carry END_STREAM and PRIORITY; END_HEADERS is set on the last frame.
    /// No frame payload exceeds <paramref name="maxFrameSize"/>, the receiver's SETTINGS_MAX_FRAME_SIZE.
    /// </summary>
    public static void WriteHeaderBlock(IBufferWriter<byte> output, int streamId, byte flags, ReadOnlySpan<byte> priority,
        ReadOnlySpan<byte> block, int maxFrameSize)
    {
        flags &= Http2Frame.FlagEndStream | Http2Frame.FlagPriority;
        var first = Math.Min(block.Length, maxFrameSize - priority.Length);
        var last = first == block.Length;
        var span = output.GetSpan(Http2Frame.HeaderLength + priority.Length + first);
        new Http2Frame(priority.Length + first, Http2Frame.TypeHeaders, (byte)(flags | (last ? Http2Frame.FlagEndHeaders : 0)), streamId).Write(span);
        priority.CopyTo(span[Http2Frame.HeaderLength..]);
        block[..first].CopyTo(span[(Http2Frame.HeaderLength + priority.Length)..]);
        output.Advance(Http2Frame.HeaderLength + priority.Length + first);

        for (var pos = first; pos < block.Length;)
        {
            var size = Math.Min(block.Length - pos, maxFrameSize);
            var end = pos + size == block.Length ? Http2Frame.FlagEndHeaders : (byte)0;
            WriteFrame(output, Http2Frame.TypeContinuation, end, streamId, block.Slice(pos, size));
            pos += size;
        }
    }
}
