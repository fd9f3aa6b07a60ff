using CriRuntime.Stats;

namespace CriRuntime.Tests.Stats;

public sealed class CpuRateTrackerTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void Update_FirstSample_NoRate()
    {
        Assert.Null(new CpuRateTracker().Update("a", Second, 5 * Second));
    }

    [Fact]
    public void Update_HalfACoreForTwoSeconds_500MillionNanocores()
    {
        var tracker = new CpuRateTracker();
        tracker.Update("a", 10 * Second, 3 * Second);

        var rate = tracker.Update("a", 12 * Second, 4 * Second);

        Assert.Equal(500_000_000UL, rate);
    }

    [Fact]
    public void Update_TwoCoresBusy_TwoBillionNanocores()
    {
        var tracker = new CpuRateTracker();
        tracker.Update("a", 0, 0);
        Assert.Equal(2_000_000_000UL, tracker.Update("a", Second / 2, Second));
    }

    [Fact]
    public void Update_CounterWentBackOrSameTime_NoRate()
    {
        var tracker = new CpuRateTracker();
        tracker.Update("a", 10 * Second, 5 * Second);
        Assert.Null(tracker.Update("a", 11 * Second, 1 * Second)); // a new cgroup with the same id
        Assert.Null(tracker.Update("a", 11 * Second, 2 * Second)); // no time elapsed
    }

    [Fact]
    public void ForgetAllBut_DropsRemovedIds()
    {
        var tracker = new CpuRateTracker();
        tracker.Update("a", 1, 1);
        tracker.Update("b", 1, 1);

        tracker.ForgetAllBut(new HashSet<string> { "b" });

        Assert.Equal(1, tracker.Count);
        Assert.Null(tracker.Update("a", 2 * Second, Second));
        Assert.NotNull(tracker.Update("b", 2 * Second, Second));
    }

    [Fact]
    public async Task Update_Concurrent_NeverThrowsAndKeepsNewest()
    {
        var tracker = new CpuRateTracker();
        await Task.WhenAll(Enumerable.Range(1, 8).Select(t => Task.Run(() =>
        {
            for (var i = 1; i <= 1000; i++) tracker.Update("x", i * 1000L + t, (ulong)(i * 500));
        })));
        Assert.Null(tracker.Update("x", 1, 0)); // older than the newest kept sample
        Assert.Equal(1, tracker.Count);
    }
}
