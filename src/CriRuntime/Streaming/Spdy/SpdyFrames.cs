using System.Buffers.Binary;
using System.Text;

namespace CriRuntime.Streaming.Spdy;

/// <summary>SPDY/3.1 frame types, flags and status codes (draft-mbelshe-httpbis-spdy-00 and the 3.1 amendment).</summary>
internal static class SpdyFrames
{
    public const int Version = 3;
    public const int HeaderLength = 8;

    public const int SynStream = 1, SynReply = 2, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, Headers = 8, WindowUpdate = 9;

    public const byte FlagFin = 0x01, FlagUnidirectional = 0x02;

    public const int RstProtocolError = 1, RstInvalidStream = 2, RstRefusedStream = 3, RstCancel = 5, RstInternalError = 6,
        RstFlowControlError = 7, RstStreamInUse = 8, RstStreamAlreadyClosed = 9, RstFrameTooLarge = 11;

    public const int SettingsInitialWindowSize = 7;
    public const int DefaultWindow = 64 * 1024;

    /// <summary>Control frame header: C bit, 15-bit version, 16-bit type, 8-bit flags, 24-bit length.</summary>
    public static void WriteControlHeader(Span<byte> into, int type, byte flags, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(into, 0x8000 | Version);
        BinaryPrimitives.WriteUInt16BigEndian(into[2..], (ushort)type);
        WriteFlagsAndLength(into[4..], flags, length);
    }

    /// <summary>Data frame header: C bit 0, 31-bit stream id, 8-bit flags, 24-bit length.</summary>
    public static void WriteDataHeader(Span<byte> into, int streamId, byte flags, int length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(into, (uint)streamId & 0x7fffffff);
        WriteFlagsAndLength(into[4..], flags, length);
    }

    private static void WriteFlagsAndLength(Span<byte> into, byte flags, int length)
    {
        if ((uint)length > 0xffffff) throw new SpdyProtocolException($"frame of {length} bytes exceeds 24 bits");
        into[0] = flags;
        into[1] = (byte)(length >> 16);
        into[2] = (byte)(length >> 8);
        into[3] = (byte)length;
    }

    public static SpdyFrameHeader ParseHeader(ReadOnlySpan<byte> h)
    {
        var length = (h[5] << 16) | (h[6] << 8) | h[7];
        if ((h[0] & 0x80) != 0)
        {
            var version = BinaryPrimitives.ReadUInt16BigEndian(h) & 0x7fff;
            if (version != Version) throw new SpdyProtocolException($"unsupported SPDY version {version}");
            return new SpdyFrameHeader(true, BinaryPrimitives.ReadUInt16BigEndian(h[2..]), 0, h[4], length);
        }
        return new SpdyFrameHeader(false, 0, (int)(BinaryPrimitives.ReadUInt32BigEndian(h) & 0x7fffffff), h[4], length);
    }

    /// <summary>Name/value block before compression: 32-bit count, then 32-bit length-prefixed names and values.
    /// Several values of one name are joined by NUL; SPDY/3 names are lower case.</summary>
    public static byte[] EncodeHeaderBlock(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var grouped = headers.GroupBy(h => h.Key.ToLowerInvariant(), StringComparer.Ordinal).ToList();
        var output = new MemoryStream();
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(n, grouped.Count);
        output.Write(n);
        foreach (var group in grouped)
        {
            WriteString(output, group.Key);
            WriteString(output, string.Join('\0', group.Select(g => g.Value)));
        }
        return output.ToArray();
    }

    private static void WriteString(MemoryStream output, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(n, bytes.Length);
        output.Write(n);
        output.Write(bytes);
    }

    public static List<KeyValuePair<string, string>> DecodeHeaderBlock(ReadOnlySpan<byte> block)
    {
        var result = new List<KeyValuePair<string, string>>();
        var count = ReadLength(ref block);
        for (var i = 0; i < count; i++)
        {
            var name = ReadString(ref block);
            if (name.Length == 0) throw new SpdyProtocolException("empty header name");
            var value = ReadString(ref block);
            foreach (var v in value.Split('\0')) result.Add(new(name.ToLowerInvariant(), v));
        }
        return result;
    }

    private static int ReadLength(ref ReadOnlySpan<byte> block)
    {
        if (block.Length < 4) throw new SpdyProtocolException("truncated header block");
        var n = BinaryPrimitives.ReadInt32BigEndian(block);
        block = block[4..];
        if (n < 0 || n > block.Length) throw new SpdyProtocolException("header block length out of range");
        return n;
    }

    private static string ReadString(ref ReadOnlySpan<byte> block)
    {
        var n = ReadLength(ref block);
        var s = Encoding.UTF8.GetString(block[..n]);
        block = block[n..];
        return s;
    }
}

internal readonly record struct SpdyFrameHeader(bool IsControl, int Type, int StreamId, byte Flags, int Length);
