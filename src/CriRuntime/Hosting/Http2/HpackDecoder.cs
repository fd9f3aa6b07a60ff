using System.Text;

namespace CriRuntime.Hosting.Http2;

/// <summary>
/// Decodes HPACK header blocks (RFC 7541) and keeps the decoder's dynamic table, so it mirrors the encoder of the
/// peer that produced the blocks. One instance per connection and direction; blocks must be fed in wire order.
/// <paramref name="maxHeaderListSize"/> bounds a block's decoded size (RFC 7540 §6.5.2 accounting): one-octet
/// references to a large table entry could otherwise expand a small block enormously.
/// </summary>
internal sealed class HpackDecoder(int maxTableSize, int maxHeaderListSize = int.MaxValue)
{
    private readonly HpackDynamicTable _table = new(maxTableSize);

    /// <summary>The largest table size the peer may choose (our SETTINGS_HEADER_TABLE_SIZE).</summary>
    public int MaxTableSizeLimit { get; } = maxTableSize;

    public HpackDynamicTable Table => _table;

    /// <summary>Decodes one complete header block (all HEADERS/CONTINUATION fragments joined).</summary>
    public List<HeaderField> Decode(ReadOnlySpan<byte> block)
    {
        var fields = new List<HeaderField>();
        var pos = 0;
        long listSize = 0;
        while (pos < block.Length)
        {
            var before = fields.Count;
            var b = block[pos];
            if ((b & 0x80) != 0)
            {
                fields.Add(Lookup(ReadInteger(block, ref pos, 7)));
            }
            else if ((b & 0x40) != 0)
            {
                var field = ReadLiteral(block, ref pos, 6);
                _table.Add(field);
                fields.Add(field);
            }
            else if ((b & 0x20) != 0)
            {
                // §4.2: a size update must come first in the block and stay within what we advertised.
                if (fields.Count > 0) throw new Http2ProtocolException("HPACK: dynamic table size update after a header field");
                var size = ReadInteger(block, ref pos, 5);
                if (size > MaxTableSizeLimit)
                {
                    throw new Http2ProtocolException($"HPACK: dynamic table size update to {size} exceeds the limit {MaxTableSizeLimit}");
                }
                _table.Resize(size);
            }
            else
            {
                // Literal without indexing (0000) or never indexed (0001): both have a 4-bit name index.
                fields.Add(ReadLiteral(block, ref pos, 4));
            }
            if (fields.Count > before && (listSize += fields[^1].Size) > maxHeaderListSize)
            {
                throw new Http2ProtocolException($"HPACK: header list larger than {maxHeaderListSize} octets");
            }
        }
        return fields;
    }

    private HeaderField Lookup(int index)
    {
        if (index == 0) throw new Http2ProtocolException("HPACK: index 0");
        if (index <= HpackStaticTable.Count) return HpackStaticTable.Get(index);
        var dynamicIndex = index - HpackStaticTable.Count;
        if (dynamicIndex > _table.Count) throw new Http2ProtocolException($"HPACK: index {index} is beyond the dynamic table");
        return _table[dynamicIndex];
    }

    private HeaderField ReadLiteral(ReadOnlySpan<byte> block, ref int pos, int prefixBits)
    {
        var nameIndex = ReadInteger(block, ref pos, prefixBits);
        var name = nameIndex == 0 ? ReadString(block, ref pos) : Lookup(nameIndex).Name;
        return new HeaderField(name, ReadString(block, ref pos));
    }

    private static string ReadString(ReadOnlySpan<byte> block, ref int pos)
    {
        if (pos >= block.Length) throw new Http2ProtocolException("HPACK: truncated header block");
        var huffman = (block[pos] & 0x80) != 0;
        var length = ReadInteger(block, ref pos, 7);
        if (length > block.Length - pos) throw new Http2ProtocolException("HPACK: string longer than the header block");
        var octets = block.Slice(pos, length);
        pos += length;
        return huffman ? HpackHuffman.Decode(octets) : Encoding.Latin1.GetString(octets);
    }

    /// <summary>RFC 7541 §5.1 integer with an N-bit prefix; values beyond int range are an error.</summary>
    internal static int ReadInteger(ReadOnlySpan<byte> block, ref int pos, int prefixBits)
    {
        if (pos >= block.Length) throw new Http2ProtocolException("HPACK: truncated header block");
        var max = (1 << prefixBits) - 1;
        long value = block[pos++] & max;
        if (value < max) return (int)value;
        for (var shift = 0; ; shift += 7)
        {
            if (pos >= block.Length) throw new Http2ProtocolException("HPACK: truncated integer");
            if (shift > 28) throw new Http2ProtocolException("HPACK: integer too large");
            var b = block[pos++];
            value += (long)(b & 0x7F) << shift;
            if (value > int.MaxValue) throw new Http2ProtocolException("HPACK: integer too large");
            if ((b & 0x80) == 0) return (int)value;
        }
    }
}
