using CriRuntime.Recovery;
using Xunit;

namespace CriRuntime.Tests.Recovery;

public class OrphanSweepTests
{
    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", false)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", false)]
    [InlineData("k8s_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab", false)]
    [InlineData("lock", false)]
    public void IsOurId_OnlySixtyFourLowercaseHexDigits(string name, bool ours) =>
        Assert.Equal(ours, OrphanSweep.IsOurId(name));
}
