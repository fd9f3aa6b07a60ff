using System.Buffers;
using System.Text;

namespace CriRuntime.Hosting.Http2;

/// <summary>
/// The HPACK Huffman code (RFC 7541 Appendix B): 256 octets plus EOS. The code is canonical (codes of one length
/// are consecutive and ordered by symbol), so the table is just the 257 code lengths; the codes follow from them.
/// </summary>
internal static class HpackHuffman
{
    private const int Eos = 256;

    private static readonly byte[] Lengths =
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ];

    private static readonly uint[] Codes = BuildCodes();

    // Decoding tree: node n's children are _children[2n] (bit 0) and _children[2n+1] (bit 1);
    // a negative child is a leaf holding ~symbol. 256 inner nodes suffice for 257 leaves.
    private static readonly int[] Children = BuildTree();

    public static uint Code(int symbol) => Codes[symbol];
    public static int Length(int symbol) => Lengths[symbol];

    public static int EncodedLength(string value)
    {
        long bits = 0;
        foreach (var c in value) bits += Lengths[(byte)c];
        return (int)((bits + 7) / 8);
    }

    public static void Encode(string value, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(EncodedLength(value));
        int written = 0, pending = 0;
        ulong bits = 0;
        foreach (var c in value)
        {
            bits = (bits << Lengths[(byte)c]) | Codes[(byte)c];
            pending += Lengths[(byte)c];
            while (pending >= 8)
            {
                pending -= 8;
                span[written++] = (byte)(bits >> pending);
            }
        }
        if (pending > 0)
        {
            // §5.2: pad with the most significant bits of EOS (all ones).
            span[written++] = (byte)((bits << (8 - pending)) | (0xFFu >> pending));
        }
        output.Advance(written);
    }

    /// <summary>Decodes octets to a Latin-1 string; EOS in the data or bad padding is a COMPRESSION_ERROR.</summary>
    public static string Decode(ReadOnlySpan<byte> data)
    {
        var result = new StringBuilder(data.Length * 8 / 5);
        int node = 0, depth = 0;
        var paddingOnes = true;
        foreach (var octet in data)
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                var one = (octet >> bit) & 1;
                paddingOnes &= one == 1;
                depth++;
                var next = Children[2 * node + one];
                if (next >= 0)
                {
                    node = next;
                    continue;
                }
                var symbol = ~next;
                if (symbol == Eos) throw new Http2ProtocolException("HPACK: Huffman string contains EOS");
                result.Append((char)symbol);
                node = depth = 0;
                paddingOnes = true;
            }
        }
        // §5.2: at most 7 bits of padding, and they must be a prefix of EOS (all ones).
        if (depth > 7 || !paddingOnes) throw new Http2ProtocolException("HPACK: invalid Huffman padding");
        return result.ToString();
    }

    private static uint[] BuildCodes()
    {
        var symbols = Enumerable.Range(0, Lengths.Length).OrderBy(s => Lengths[s]).ThenBy(s => s).ToArray();
        var codes = new uint[Lengths.Length];
        uint code = 0;
        var previousLength = Lengths[symbols[0]];
        for (var i = 0; i < symbols.Length; i++)
        {
            var length = Lengths[symbols[i]];
            if (i > 0) code = (code + 1) << (length - previousLength);
            codes[symbols[i]] = code;
            previousLength = length;
        }
        return codes;
    }

    private static int[] BuildTree()
    {
        var children = new int[2 * 256];
        var nodes = 1;
        for (var symbol = 0; symbol < Lengths.Length; symbol++)
        {
            var node = 0;
            for (var bit = Lengths[symbol] - 1; bit > 0; bit--)
            {
                var slot = 2 * node + (int)((Codes[symbol] >> bit) & 1);
                if (children[slot] == 0) children[slot] = nodes++;
                node = children[slot];
            }
            children[2 * node + (int)(Codes[symbol] & 1)] = ~symbol;
        }
        return children;
    }
}
