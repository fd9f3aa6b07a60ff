using System.Text;
using CriRuntime.Streaming.Spdy;

namespace CriRuntime.Tests.Streaming;

public sealed class SpdyHeaderCompressionTests
{
    [Fact]
    public void Dictionary_Spec_LengthEndsAndAdler32()
    {
        var d = SpdyDictionary.Bytes;
        Assert.Equal(1423, d.Length);
        Assert.Equal([0, 0, 0, 7, (byte)'o', (byte)'p', (byte)'t', (byte)'i', (byte)'o', (byte)'n', (byte)'s'], d[..11]);
        Assert.EndsWith("utf-,*,enq=0.", Encoding.ASCII.GetString(d), StringComparison.Ordinal);
        Assert.Equal(0xe3c6a7c2u, Adler32(d));
    }

    [Fact]
    public void Compress_FirstBlock_CarriesTheDictionaryId()
    {
        using var deflater = Zlib.CreateDeflater(SpdyDictionary.Bytes);
        var block = deflater.Compress(SpdyFrames.EncodeHeaderBlock([new("streamtype", "error")]));
        Assert.Equal(0x78, block[0]);
        Assert.True((block[1] & 0x20) != 0, "FDICT flag");
        Assert.Equal(new byte[] { 0xe3, 0xc6, 0xa7, 0xc2 }, block[2..6]);
        Assert.Equal(new byte[] { 0, 0, 0xff, 0xff }, block[^4..]); // Z_SYNC_FLUSH marker
    }

    [Fact]
    public void Decompress_BlocksFromAnotherZlib_SharedStateAcrossBlocks()
    {
        // Two consecutive header blocks of one session, compressed by Python's zlib with zdict and Z_SYNC_FLUSH.
        using var inflater = Zlib.CreateInflater(SpdyDictionary.Bytes);
        var first = SpdyFrames.DecodeHeaderBlock(inflater.Decompress(Convert.FromHexString("78bbe3c6a7c202a62346703a2b294a4dcc851625aca9a08006000000ffff"), 1 << 16));
        var second = SpdyFrames.DecodeHeaderBlock(inflater.Decompress(Convert.FromHexString("02651c0c2960624ec90797d1c022bb084c5b18581800000000ffff"), 1 << 16));
        Assert.Equal([new("streamtype", "error")], first);
        Assert.Equal([new("streamtype", "stdout"), new("port", "8080")], second);
    }

    [Fact]
    public void CompressDecompress_ManyBlocks_RoundTrip()
    {
        using var deflater = Zlib.CreateDeflater(SpdyDictionary.Bytes);
        using var inflater = Zlib.CreateInflater(SpdyDictionary.Bytes);
        for (var i = 0; i < 50; i++)
        {
            List<KeyValuePair<string, string>> headers = [new("streamtype", "data"), new("port", (8000 + i).ToString()), new("requestid", i.ToString()), new("x-big", new string('a', i * 100))];
            var decoded = SpdyFrames.DecodeHeaderBlock(inflater.Decompress(deflater.Compress(SpdyFrames.EncodeHeaderBlock(headers)), 1 << 16));
            Assert.Equal(headers, decoded);
        }
    }

    [Fact]
    public void Decompress_BombBeyondLimit_Throws()
    {
        using var deflater = Zlib.CreateDeflater(SpdyDictionary.Bytes);
        using var inflater = Zlib.CreateInflater(SpdyDictionary.Bytes);
        var block = deflater.Compress(SpdyFrames.EncodeHeaderBlock([new("x", new string('z', 100_000))]));
        Assert.Throws<SpdyProtocolException>(() => inflater.Decompress(block, 10_000));
    }

    private static uint Adler32(byte[] data)
    {
        uint a = 1, b = 0;
        foreach (var x in data)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }
        return (b << 16) | a;
    }
}
