using CriRuntime.Errors;
using CriRuntime.Network;

namespace CriRuntime.Tests.Network;

public sealed class StaticIpAnnotationTests
{
    [Theory]
    [InlineData("10.1.2.3", new[] { "10.1.2.3" })]
    [InlineData("10.1.2.3/24", new[] { "10.1.2.3/24" })]
    [InlineData(" 10.1.2.3/24 , FD00:0::5/64", new[] { "10.1.2.3/24", "fd00::5/64" })]
    [InlineData("fd00::5,10.0.0.9/32", new[] { "fd00::5", "10.0.0.9/32" })]
    public void Parse_ValidEntries_CanonicalInOrder(string value, string[] expected)
    {
        Assert.Equal(expected, StaticIpAnnotation.Parse(value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.1.2.3,")]
    [InlineData("10.1")]
    [InlineData("010.1.2.3")]
    [InlineData("0x0a.1.2.3")]
    [InlineData("10.1.2.256")]
    [InlineData("10.1.2.3/33")]
    [InlineData("10.1.2.3/0")]
    [InlineData("10.1.2.3/")]
    [InlineData("10.1.2.3/024")]
    [InlineData("10.1.2.3/24/8")]
    [InlineData("fd00::5/129")]
    [InlineData("fe80::1%eth0")]
    [InlineData("[fd00::5]")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("ff02::1")]
    [InlineData("10.1.2.3,10.1.2.3/24")]
    [InlineData("10.1.2.3; rm -rf /")]
    [InlineData("10.1.2.3\n10.1.2.4")]
    public void Parse_BadEntry_InvalidArgumentNamingAnnotation(string value)
    {
        var e = Assert.Throws<InvalidArgumentException>(() => StaticIpAnnotation.Parse(value));

        Assert.Contains("cni.criruntime.io/ips", e.Message);
    }

    [Fact]
    public void Parse_TooManyOrTooLong_InvalidArgument()
    {
        Assert.Throws<InvalidArgumentException>(() => StaticIpAnnotation.Parse(string.Join(',', Enumerable.Range(1, 17).Select(i => $"10.0.0.{i}"))));
        Assert.Throws<InvalidArgumentException>(() => StaticIpAnnotation.Parse(new string('1', 2000)));
    }

    [Fact]
    public void Parse_ControlCharacters_NotEchoedInError()
    {
        var e = Assert.Throws<InvalidArgumentException>(() => StaticIpAnnotation.Parse("10.1.2.3\u001b[31m"));

        Assert.DoesNotContain('\u001b', e.Message);
    }

    [Fact]
    public void FromAnnotations_Absent_Empty()
    {
        Assert.Empty(StaticIpAnnotation.FromAnnotations(new Dictionary<string, string> { ["other"] = "10.1.2.3" }));
    }

    [Fact]
    public void FromAnnotationsOrEmpty_Invalid_EmptyNotThrown()
    {
        Assert.Empty(StaticIpAnnotation.FromAnnotationsOrEmpty(new Dictionary<string, string> { [StaticIpAnnotation.Annotation] = "nonsense" }));
    }
}
