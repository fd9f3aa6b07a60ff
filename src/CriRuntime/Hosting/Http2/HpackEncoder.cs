using System.Buffers;
using System.Text;

namespace CriRuntime.Hosting.Http2;

/// <summary>
/// Encodes HPACK header blocks (RFC 7541). The daemon only uses <see cref="WriteLiteralWithoutIndexing"/>, which
/// leaves the receiver's dynamic table alone; <see cref="WriteIndexed"/> is the full encoder (index everything, as
/// the RFC Appendix C examples and grpc-go do) for tests and test clients that must exercise a peer's table.
/// </summary>
internal sealed class HpackEncoder(int maxTableSize = 4096, bool huffman = true)
{
    private readonly HpackDynamicTable _table = new(maxTableSize);
    private int? _pendingSizeUpdate;

    public HpackDynamicTable Table => _table;

    /// <summary>Changes the table size; the update is signalled at the start of the next block (§4.2).</summary>
    public void Resize(int maxSize)
    {
        _table.Resize(maxSize);
        _pendingSizeUpdate = maxSize;
    }

    /// <summary>Encodes a block: a full match is indexed, anything else is added to the table (§6.2.1).</summary>
    public void WriteIndexed(IEnumerable<HeaderField> fields, IBufferWriter<byte> output)
    {
        if (_pendingSizeUpdate is { } size)
        {
            WriteInteger(output, size, 5, 0x20);
            _pendingSizeUpdate = null;
        }
        foreach (var field in fields)
        {
            var exact = FindExact(field);
            if (exact > 0)
            {
                WriteInteger(output, exact, 7, 0x80);
                continue;
            }
            var nameIndex = HpackStaticTable.FindName(field.Name);
            if (nameIndex == 0 && _table.Find(field.Name, null) is var d and > 0) nameIndex = d + HpackStaticTable.Count;
            WriteLiteral(output, nameIndex, 6, 0x40, field, huffman);
            _table.Add(field);
        }
    }

    /// <summary>§6.2.2 literal without indexing: neither side's dynamic table changes. Strings are sent raw.</summary>
    public static void WriteLiteralWithoutIndexing(IBufferWriter<byte> output, HeaderField field) =>
        WriteLiteral(output, HpackStaticTable.FindName(field.Name), 4, 0x00, field, huffman: false);

    /// <summary>§5.1 integer with an N-bit prefix; <paramref name="flags"/> fills the bits above the prefix.</summary>
    public static void WriteInteger(IBufferWriter<byte> output, int value, int prefixBits, byte flags)
    {
        var span = output.GetSpan(6);
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            span[0] = (byte)(flags | value);
            output.Advance(1);
            return;
        }
        span[0] = (byte)(flags | max);
        var n = 1;
        for (value -= max; value >= 0x80; value >>= 7) span[n++] = (byte)(0x80 | (value & 0x7F));
        span[n++] = (byte)value;
        output.Advance(n);
    }

    public static void WriteString(IBufferWriter<byte> output, string value, bool huffman)
    {
        if (huffman && HpackHuffman.EncodedLength(value) < value.Length)
        {
            WriteInteger(output, HpackHuffman.EncodedLength(value), 7, 0x80);
            HpackHuffman.Encode(value, output);
            return;
        }
        WriteInteger(output, value.Length, 7, 0x00);
        output.Write(Encoding.Latin1.GetBytes(value));
    }

    private static void WriteLiteral(IBufferWriter<byte> output, int nameIndex, int prefixBits, byte flags, HeaderField field, bool huffman)
    {
        WriteInteger(output, nameIndex, prefixBits, flags);
        if (nameIndex == 0) WriteString(output, field.Name, huffman);
        WriteString(output, field.Value, huffman);
    }

    private int FindExact(HeaderField field)
    {
        var index = HpackStaticTable.Find(field);
        if (index > 0) return index;
        var dynamic = _table.Find(field.Name, field.Value);
        return dynamic > 0 ? dynamic + HpackStaticTable.Count : 0;
    }
}
