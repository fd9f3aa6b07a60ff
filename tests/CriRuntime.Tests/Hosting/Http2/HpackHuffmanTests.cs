using System.Buffers;
using System.Text;
using CriRuntime.Hosting.Http2;
using static CriRuntime.Tests.Hosting.Http2.RfcExamples;

namespace CriRuntime.Tests.Hosting.Http2;

public sealed class HpackHuffmanTests
{
    [Theory]
    [InlineData(' ', 0x14u, 6)]         // RFC 7541 Appendix B, spot checks across lengths
    [InlineData('0', 0x0u, 5)]
    [InlineData('a', 0x3u, 5)]
    [InlineData('A', 0x21u, 6)]
    [InlineData('{', 0x7ffeu, 15)]
    [InlineData('\0', 0x1ff8u, 13)]
    [InlineData('\n', 0x3ffffffcu, 30)]
    [InlineData('\u00ff', 0x3ffffeeu, 26)]
    public void Code_MatchesRfcTable(char symbol, uint code, int length)
    {
        Assert.Equal(code, HpackHuffman.Code(symbol));
        Assert.Equal(length, HpackHuffman.Length(symbol));
    }

    [Fact]
    public void Code_EosIsThirtyOnes()
    {
        Assert.Equal(0x3fffffffu, HpackHuffman.Code(256));
        Assert.Equal(30, HpackHuffman.Length(256));
    }

    [Theory]
    [InlineData("www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff")]   // C.4.1
    [InlineData("no-cache", "a8eb 1064 9cbf")]                         // C.4.2
    [InlineData("custom-key", "25a8 49e9 5ba9 7d7f")]                  // C.4.3
    [InlineData("302", "6402")]                                        // C.6.1
    public void EncodeDecode_RfcStrings(string text, string hex)
    {
        var output = new ArrayBufferWriter<byte>();
        HpackHuffman.Encode(text, output);
        Assert.Equal(Convert.ToHexString(Hex(hex)), Convert.ToHexString(output.WrittenSpan));
        Assert.Equal(text, HpackHuffman.Decode(Hex(hex)));
    }

    [Fact]
    public void EncodeDecode_EveryOctet_RoundTrips()
    {
        var all = Encoding.Latin1.GetString(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        var output = new ArrayBufferWriter<byte>();
        HpackHuffman.Encode(all, output);

        Assert.Equal(all, HpackHuffman.Decode(output.WrittenSpan));
        Assert.Equal(HpackHuffman.EncodedLength(all), output.WrittenCount);
    }

    [Theory]
    [InlineData("00")]          // '0' (00000) then padding 000: not a prefix of EOS
    [InlineData("1fff")]        // '0' then 11 one bits: padding longer than 7 bits
    [InlineData("ffff ffff")]   // EOS itself inside the string
    public void Decode_BadPaddingOrEos_Throws(string hex) =>
        Assert.Throws<Http2ProtocolException>(() => HpackHuffman.Decode(Hex(hex)));
}
