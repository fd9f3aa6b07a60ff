using CriRuntime.Errors;
using CriRuntime.Images;

namespace CriRuntime.Tests.Images;

// Cases follow github.com/distribution/reference (normalize_test.go, reference_test.go).
public sealed class ImageReferenceTests
{
    private const string Hex = "ffd5b1db4db8f9e0a1c5e2fb8c2fd4bf9e5d6e9ab0f7fb9e2bd0fe1e5e9b9b1c";

    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", "latest", null)]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "1.36", null)]
    [InlineData("library/busybox", "docker.io", "library/busybox", "latest", null)]
    [InlineData("docker.io/busybox", "docker.io", "library/busybox", "latest", null)]
    [InlineData("index.docker.io/busybox", "docker.io", "library/busybox", "latest", null)]
    [InlineData("user/repo", "docker.io", "user/repo", "latest", null)]
    [InlineData("registry.k8s.io/pause:3.9", "registry.k8s.io", "pause", "3.9", null)]
    [InlineData("localhost/x", "localhost", "x", "latest", null)]
    [InlineData("localhost:5000/x", "localhost:5000", "x", "latest", null)]
    [InlineData("127.0.0.1:5000/x/y/z:t", "127.0.0.1:5000", "x/y/z", "t", null)]
    [InlineData("Example.COM/x", "Example.COM", "x", "latest", null)]
    [InlineData("a.b-c_d__e/f-g.h", "a.b-c_d__e", "f-g.h", "latest", null)]
    [InlineData("busybox@sha256:" + Hex, "docker.io", "library/busybox", null, "sha256:" + Hex)]
    [InlineData("quay.io/a/b:tag@sha256:" + Hex, "quay.io", "a/b", "tag", "sha256:" + Hex)]
    [InlineData("a__b/c", "docker.io", "a__b/c", "latest", null)]
    public void Parse_ValidReference_Normalises(string text, string registry, string repository, string? tag, string? digest)
    {
        var reference = ImageReference.Parse(text);

        Assert.Equal(new ImageReference(registry, repository, tag, digest), reference);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Busybox", "lowercase")]
    [InlineData("docker.io/Library/busybox", "lowercase")]
    [InlineData("busybox:", "format")]
    [InlineData(":tag", "format")]
    [InlineData("busy box", "format")]
    [InlineData("a//b", "format")]
    [InlineData("a___b/c", "format")]
    [InlineData("-a/b", "format")]
    [InlineData("a/b-", "format")]
    [InlineData("a/b:-tag", "format")]
    [InlineData("busybox@sha256:abc", "format")]
    [InlineData("busybox@sha256:" + Hex + "00", "digest")]
    [InlineData(Hex, "64-byte")]
    [InlineData("busybox:" + "t12345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678", "format")]
    public void Parse_Malformed_InvalidArgument(string text, string why)
    {
        var error = Assert.Throws<InvalidArgumentException>(() => ImageReference.Parse(text));

        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void Parse_NameLongerThan255_Rejected()
    {
        var error = Assert.Throws<InvalidArgumentException>(() => ImageReference.Parse("example.com/" + new string('a', 250)));

        Assert.Contains("255", error.Message);
    }

    [Fact]
    public void Parse_OtherDefaultRegistry_ShortNamesGoThereWithoutLibrary()
    {
        var reference = ImageReference.Parse("busybox", "registry.example:5000");

        Assert.Equal("registry.example:5000/busybox:latest", reference.ToString());
    }

    [Fact]
    public void Names_TagAndDigestForms()
    {
        var reference = ImageReference.Parse("busybox:1@sha256:" + Hex);

        Assert.Equal("docker.io/library/busybox", reference.Name);
        Assert.Equal("docker.io/library/busybox:1", reference.TaggedName);
        Assert.Equal("sha256:" + Hex, reference.ManifestReference);
    }
}
