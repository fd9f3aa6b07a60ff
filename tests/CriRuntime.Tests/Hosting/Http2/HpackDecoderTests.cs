using System.Buffers;
using CriRuntime.Hosting.Http2;
using static CriRuntime.Tests.Hosting.Http2.RfcExamples;

namespace CriRuntime.Tests.Hosting.Http2;

public sealed class HpackDecoderTests
{
    [Theory]
    [InlineData("0a", 5, 10)]        // C.1.1
    [InlineData("1f9a0a", 5, 1337)]  // C.1.2
    [InlineData("2a", 8, 42)]        // C.1.3
    public void ReadInteger_RfcC1(string hex, int prefix, int expected)
    {
        var pos = 0;
        Assert.Equal(expected, HpackDecoder.ReadInteger(Hex(hex), ref pos, prefix));
        Assert.Equal(Hex(hex).Length, pos);
    }

    [Fact]
    public void Decode_RfcC2_LiteralRepresentations()
    {
        var decoder = new HpackDecoder(4096);
        Assert.Equal([new HeaderField("custom-key", "custom-header")],
            decoder.Decode(Hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")));
        Assert.Equal(55, decoder.Table.Size);

        decoder = new HpackDecoder(4096);
        Assert.Equal([new HeaderField(":path", "/sample/path")], decoder.Decode(Hex("040c 2f73 616d 706c 652f 7061 7468")));
        Assert.Equal([new HeaderField("password", "secret")], decoder.Decode(Hex("1008 7061 7373 776f 7264 0673 6563 7265 74")));
        Assert.Equal([new HeaderField(":method", "GET")], decoder.Decode(Hex("82")));
        Assert.Equal(0, decoder.Table.Count);
    }

    public static TheoryData<string> Sections => new() { "C3", "C4", "C5", "C6" };

    [Theory]
    [MemberData(nameof(Sections))]
    public void Decode_RfcAppendixC_FieldsAndTableSizeMatch(string section)
    {
        var (examples, tableSize) = section switch
        {
            "C3" => (C3, 4096),
            "C4" => (C4, 4096),
            "C5" => (C5, 256),
            _ => (C6, 256),
        };
        var decoder = new HpackDecoder(tableSize);
        foreach (var (fields, block, size) in examples)
        {
            Assert.Equal(fields, decoder.Decode(Hex(block)));
            Assert.Equal(size, decoder.Table.Size);
        }
    }

    [Fact]
    public void Decode_RfcC5_EvictsOldestEntries()
    {
        var decoder = new HpackDecoder(256);
        foreach (var (_, block, _) in C5) decoder.Decode(Hex(block));

        Assert.Equal(3, decoder.Table.Count);
        Assert.Equal("set-cookie", decoder.Table[1].Name);
        Assert.Equal(new HeaderField("content-encoding", "gzip"), decoder.Table[2]);
        Assert.Equal(new HeaderField("date", "Mon, 21 Oct 2013 20:13:22 GMT"), decoder.Table[3]);
    }

    [Fact]
    public void Decode_TableSizeUpdate_EvictsAndLaterEntriesFitTheNewSize()
    {
        var decoder = new HpackDecoder(4096);
        foreach (var (_, block, _) in C3) decoder.Decode(Hex(block));
        Assert.Equal(3, decoder.Table.Count);

        // 0x20: size update to 0 empties the table; 0x3f 0x21 (= 31 + 33 = 64) then allows one small entry.
        Assert.Empty(decoder.Decode(Hex("20 3f21")));
        Assert.Equal(0, decoder.Table.Count);
        Assert.Equal(64, decoder.Table.MaxSize);
        decoder.Decode(Hex("4001 6101 62"));   // a: b, 34 octets
        decoder.Decode(Hex("4001 6301 64"));   // c: d evicts a: b
        Assert.Equal(1, decoder.Table.Count);
        Assert.Equal(new HeaderField("c", "d"), decoder.Table[1]);
        Assert.Equal(new HeaderField("c", "d"), Assert.Single(decoder.Decode(Hex("be"))));
    }

    [Fact]
    public void Decode_SmallBlockExpandingBeyondTheListLimit_Throws()
    {
        // One 1000-octet entry, then 100 one-octet references to it: 101 KB decoded from a 1 KB block.
        var encoder = new HpackEncoder(4096, huffman: false);
        var block = new ArrayBufferWriter<byte>();
        encoder.WriteIndexed([new HeaderField("x-big", new string('a', 1000))], block);
        block.Write(Enumerable.Repeat((byte)0xbe, 100).ToArray());
        var decoder = new HpackDecoder(4096, maxHeaderListSize: 64 * 1024);

        var e = Assert.Throws<Http2ProtocolException>(() => decoder.Decode(block.WrittenSpan));
        Assert.Contains("header list larger", e.Message);
        Assert.Equal(101, new HpackDecoder(4096, 200 * 1024).Decode(block.WrittenSpan).Count);
    }

    [Theory]
    [InlineData("3fe21f", "exceeds the limit")]          // size update to 4097 with a 4096 limit
    [InlineData("82 20", "after a header field")]        // size update after a field
    [InlineData("80", "index 0")]
    [InlineData("be", "beyond the dynamic table")]       // index 62 with an empty table
    [InlineData("410f 7777", "longer than the header block")]  // string cut short: a truncated HEADERS
    [InlineData("41", "truncated")]                      // literal with no value at all
    [InlineData("3fff ffff ffff 7f", "too large")]       // integer overflow
    [InlineData("4181 00", "Huffman padding")]           // Huffman string of eight zero bits
    [InlineData("4184 ffff ffff", "EOS")]                // Huffman string holding EOS (30 ones)
    public void Decode_MalformedBlock_Throws(string hex, string message)
    {
        var e = Assert.Throws<Http2ProtocolException>(() => new HpackDecoder(4096).Decode(Hex(hex)));
        Assert.Contains(message, e.Message);
    }
}
