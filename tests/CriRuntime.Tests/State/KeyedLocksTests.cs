using CriRuntime.State;

namespace CriRuntime.Tests.State;

public sealed class KeyedLocksTests
{
    [Fact]
    public async Task SameKey_IsExclusive()
    {
        var locks = new KeyedLocks();
        var first = await locks.AcquireAsync("pod-a");

        var second = locks.AcquireAsync("pod-a");
        await Task.Delay(50);
        Assert.False(second.IsCompleted);

        first.Dispose();
        (await second).Dispose();
    }

    [Fact]
    public async Task DifferentKeys_DoNotBlockEachOther()
    {
        var locks = new KeyedLocks();
        using var a = await locks.AcquireAsync("pod-a");

        var b = locks.AcquireAsync("pod-b");

        Assert.True(b.IsCompletedSuccessfully);
        (await b).Dispose();
    }

    [Fact]
    public async Task CancelledWaiter_DoesNotTakeTheLock()
    {
        var locks = new KeyedLocks();
        var held = await locks.AcquireAsync("k");
        using var cts = new CancellationTokenSource();

        var waiter = locks.AcquireAsync("k", cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);

        held.Dispose();
        using var again = await locks.AcquireAsync("k").WaitAsync(TimeSpan.FromSeconds(5));
    }
}
