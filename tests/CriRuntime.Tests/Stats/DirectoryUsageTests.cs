using CriRuntime.Stats;

namespace CriRuntime.Tests.Stats;

public sealed class DirectoryUsageTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dirusage-" + Guid.NewGuid().ToString("N"));

    public DirectoryUsageTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task GetAsync_FreshSize_ServedFromCacheWithoutWalking()
    {
        var time = new ManualTime();
        var usage = new DirectoryUsage(TimeSpan.FromSeconds(10), time);
        File.WriteAllBytes(Path.Combine(_dir, "a"), new byte[64 * 1024]);

        var first = await usage.GetAsync(_dir, CancellationToken.None);
        File.WriteAllBytes(Path.Combine(_dir, "b"), new byte[64 * 1024]);
        var cached = await usage.GetAsync(_dir, CancellationToken.None);

        Assert.Equal(1, usage.Walks);
        Assert.Equal(first, cached);
        Assert.True(first.Bytes >= 64 * 1024, first.ToString());
        Assert.Equal(2UL, first.Inodes); // the directory and the file

        time.Advance(TimeSpan.FromSeconds(11));
        var later = await usage.GetAsync(_dir, CancellationToken.None);
        Assert.Equal(2, usage.Walks);
        Assert.True(later.Bytes >= first.Bytes + 64 * 1024);
        Assert.Equal(3UL, later.Inodes);
    }

    [Fact]
    public async Task GetAsync_ConcurrentCallers_ShareOneWalk()
    {
        var usage = new DirectoryUsage(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 200; i++) File.WriteAllText(Path.Combine(_dir, $"f{i}"), "x");

        var sizes = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => usage.GetAsync(_dir, CancellationToken.None)));

        Assert.All(sizes, s => Assert.Equal(201UL, s.Inodes));
        Assert.True(usage.Walks <= 2, $"walks: {usage.Walks}");
    }

    [Fact]
    public async Task GetAsync_MissingDirectory_Zero()
    {
        var size = await new DirectoryUsage().GetAsync(Path.Combine(_dir, "gone"), CancellationToken.None);
        Assert.Equal((0UL, 0UL), (size.Bytes, size.Inodes));
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UnixEpoch.AddYears(50);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
