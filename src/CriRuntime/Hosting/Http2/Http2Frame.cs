using System.Buffers.Binary;

namespace CriRuntime.Hosting.Http2;

/// <summary>The 9-octet HTTP/2 frame header (RFC 7540 §4.1) and the frame types and flags the rewrite needs.</summary>
internal readonly record struct Http2Frame(int Length, byte Type, byte Flags, int StreamId)
{
    public const int HeaderLength = 9;
    public const int DefaultMaxFrameSize = 16384;

    public const byte TypeData = 0x0;
    public const byte TypeHeaders = 0x1;
    public const byte TypeSettings = 0x4;
    public const byte TypeContinuation = 0x9;

    public const byte FlagEndStream = 0x1;
    public const byte FlagEndHeaders = 0x4;
    public const byte FlagPadded = 0x8;
    public const byte FlagPriority = 0x20;

    /// <summary>What a client sends first on a prior-knowledge HTTP/2 connection (RFC 7540 §3.5).</summary>
    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public bool Has(byte flag) => (Flags & flag) != 0;

    public static Http2Frame Read(ReadOnlySpan<byte> header) => new(
        header[0] << 16 | header[1] << 8 | header[2],
        header[3],
        header[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFFFFFF));

    public void Write(Span<byte> header)
    {
        header[0] = (byte)(Length >> 16);
        header[1] = (byte)(Length >> 8);
        header[2] = (byte)Length;
        header[3] = Type;
        header[4] = Flags;
        BinaryPrimitives.WriteUInt32BigEndian(header[5..], (uint)StreamId);
    }
}
