using CriRuntime.Runtime;

namespace CriRuntime.Tests.Runtime;

public sealed class HandlerFeaturesTests
{
    [Theory]
    [InlineData("6.18.44-fc-v657", true)]
    [InlineData("5.12.0", true)]
    [InlineData("5.11.22-generic", false)]
    [InlineData("4.19.0", false)]
    [InlineData("", false)]
    public void KernelAtLeast_5_12(string release, bool expected) => Assert.Equal(expected, HandlerFeatures.KernelAtLeast(release, 5, 12));

    [Fact]
    public void MountOptionsContainRro_FromOciFeatures()
    {
        Assert.True(HandlerFeatures.MountOptionsContainRro("""{"ociVersionMin":"1.0.0","mountOptions":["bind","rro","ro"]}"""));
        Assert.False(HandlerFeatures.MountOptionsContainRro("""{"mountOptions":["bind","ro"]}"""));
        Assert.False(HandlerFeatures.MountOptionsContainRro("""{"ociVersionMin":"1.0.0"}"""));
    }
}
