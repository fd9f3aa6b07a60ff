using System.Text;
using CriRuntime.Errors;
using CriRuntime.Storage;

namespace CriRuntime.Tests.Storage;

public sealed class DigestTests
{
    [Fact]
    public void ChainIds_FollowTheOciFormula()
    {
        var a = Digest.Of("a"u8);
        var b = Digest.Of("b"u8);

        var chain = Digest.ChainIds([a, b]);

        Assert.Equal(a, chain[0]);
        Assert.Equal(Digest.Of(Encoding.ASCII.GetBytes(a + " " + b)), chain[1]);
    }

    [Theory]
    [InlineData("sha256:../../etc")]
    [InlineData("sha512:" + "00")]
    [InlineData("sha256:ABCDEF0000000000000000000000000000000000000000000000000000000000")]
    public void Hex_Malformed_NeverNamesAFile(string digest)
    {
        Assert.Throws<InvalidArgumentException>(() => Digest.Hex(digest));
    }

    [Fact]
    public async Task DigestingStream_WrongDigestOrSize_Fails()
    {
        var data = "hello"u8.ToArray();
        var good = Digest.Of(data);

        var ok = new DigestingStream(new MemoryStream(data), data.Length, null, "blob");
        await ok.VerifyAsync(good, CancellationToken.None);

        var wrongDigest = new DigestingStream(new MemoryStream(data), data.Length, null, "blob");
        Assert.Contains("digest mismatch", (await Assert.ThrowsAsync<OperationFailedException>(() => wrongDigest.VerifyAsync(Digest.Of("x"u8), CancellationToken.None))).Message);

        var tooLong = new DigestingStream(new MemoryStream(data), 3, null, "blob");
        Assert.Contains("size mismatch", (await Assert.ThrowsAsync<OperationFailedException>(() => tooLong.VerifyAsync(good, CancellationToken.None))).Message);

        var tooShort = new DigestingStream(new MemoryStream(data), 9, null, "blob");
        Assert.Contains("size mismatch", (await Assert.ThrowsAsync<OperationFailedException>(() => tooShort.VerifyAsync(good, CancellationToken.None))).Message);
    }
}
