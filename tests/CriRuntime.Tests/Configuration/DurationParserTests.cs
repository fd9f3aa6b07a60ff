using CriRuntime.Configuration;

namespace CriRuntime.Tests.Configuration;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("4h", 4 * 3600_000)]
    [InlineData("1h30m", 90 * 60_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m5s", 125_000)]
    [InlineData("1.5s", 1500)]
    [InlineData("0", 0)]
    public void TryParse_GoDurations(string text, int milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("5d")]
    [InlineData("h")]
    [InlineData("-1s")]
    public void TryParse_Rejects(string text) => Assert.False(DurationParser.TryParse(text, out _));

    [Theory]
    [InlineData(5400_000, "1h30m")]
    [InlineData(1500, "1s500ms")]
    [InlineData(0, "0s")]
    public void Format_RoundTrips(int milliseconds, string text)
    {
        Assert.Equal(text, DurationParser.Format(TimeSpan.FromMilliseconds(milliseconds)));
        Assert.True(DurationParser.TryParse(text, out var back));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), back);
    }
}
