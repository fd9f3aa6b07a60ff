using System.Buffers;
using CriRuntime.Hosting.Http2;
using static CriRuntime.Tests.Hosting.Http2.RfcExamples;

namespace CriRuntime.Tests.Hosting.Http2;

public sealed class HpackEncoderTests
{
    public static TheoryData<string> Sections => new() { "C3", "C4", "C5" };

    [Theory]
    [MemberData(nameof(Sections))]
    public void WriteIndexed_RfcAppendixC_ProducesTheRfcOctets(string section)
    {
        var (examples, encoder) = section switch
        {
            "C3" => (C3, new HpackEncoder(4096, huffman: false)),
            "C4" => (C4, new HpackEncoder(4096, huffman: true)),
            _ => (C5, new HpackEncoder(256, huffman: false)),
        };
        foreach (var (fields, block, size) in examples)
        {
            var output = new ArrayBufferWriter<byte>();
            encoder.WriteIndexed(fields, output);
            Assert.Equal(Convert.ToHexString(Hex(block)), Convert.ToHexString(output.WrittenSpan));
            Assert.Equal(size, encoder.Table.Size);
        }
    }

    [Theory]
    [InlineData(10, 5, "0A")]
    [InlineData(1337, 5, "1F9A0A")]
    [InlineData(42, 8, "2A")]
    [InlineData(31, 5, "1F00")]
    public void WriteInteger_RfcC1(int value, int prefix, string hex)
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.WriteInteger(output, value, prefix, 0);
        Assert.Equal(hex, Convert.ToHexString(output.WrittenSpan));
    }

    [Fact]
    public void WriteLiteralWithoutIndexing_LeavesTheReceiversTableEmpty()
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var field in Request3) HpackEncoder.WriteLiteralWithoutIndexing(output, field);

        var decoder = new HpackDecoder(4096);
        Assert.Equal(Request3, decoder.Decode(output.WrittenSpan));
        Assert.Equal(0, decoder.Table.Count);
        // ":authority" uses the static name index 1 with the 4-bit "without indexing" prefix.
        Assert.Equal(0x01, output.WrittenSpan[FirstOctetOf(Request3, 3)]);
    }

    [Fact]
    public void Resize_SignalsTheUpdateAtTheStartOfTheNextBlock()
    {
        var encoder = new HpackEncoder(4096);
        var decoder = new HpackDecoder(4096);
        var output = new ArrayBufferWriter<byte>();
        encoder.WriteIndexed(Request1, output);
        decoder.Decode(output.WrittenSpan);

        encoder.Resize(0);
        output.ResetWrittenCount();
        encoder.WriteIndexed(Request1, output);

        Assert.Equal(0x20, output.WrittenSpan[0]);
        Assert.Equal(Request1, decoder.Decode(output.WrittenSpan));
        Assert.Equal(0, decoder.Table.Count);
    }

    private static int FirstOctetOf(HeaderField[] fields, int index)
    {
        var output = new ArrayBufferWriter<byte>();
        for (var i = 0; i < index; i++) HpackEncoder.WriteLiteralWithoutIndexing(output, fields[i]);
        return output.WrittenCount;
    }
}
