using CriRuntime.Api.V1;
using CriRuntime.Events;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriRuntime.Tests.Events;

public sealed class ContainerEventBusTests
{
    private static ContainerEventResponse Event(string id, ContainerEventType type = ContainerEventType.ContainerCreatedEvent) =>
        new() { ContainerId = id, ContainerEventType = type, CreatedAt = 1 };

    [Fact]
    public async Task Publish_ReachesEverySubscriberInOrder()
    {
        var bus = new ContainerEventBus(NullLogger<ContainerEventBus>.Instance);
        using var a = bus.Subscribe("a");
        using var b = bus.Subscribe("b");

        bus.Publish(Event("c1"));
        bus.Publish(Event("c1", ContainerEventType.ContainerStartedEvent));

        foreach (var s in new[] { a, b })
        {
            var got = await s.ReadAllAsync(CancellationToken.None).Take(2).ToListAsync();
            Assert.Equal([ContainerEventType.ContainerCreatedEvent, ContainerEventType.ContainerStartedEvent], got.Select(e => e.ContainerEventType));
        }
    }

    [Fact]
    public async Task Publish_SubscriberThatNeverReads_IsDroppedWithoutBlockingOthers()
    {
        var bus = new ContainerEventBus(NullLogger<ContainerEventBus>.Instance);
        using var stuck = bus.Subscribe("stuck");
        using var live = bus.Subscribe("live");
        var received = 0;
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in live.ReadAllAsync(CancellationToken.None))
            {
                if (Interlocked.Increment(ref received) == ContainerEventBus.SubscriberBuffer * 3) return;
            }
        });

        // Batches well under the buffer, each read by the live subscriber before the next: only the stuck one
        // falls behind, however slow this machine is.
        const int Batch = 256;
        for (var published = 0; published < ContainerEventBus.SubscriberBuffer * 3;)
        {
            for (var i = 0; i < Batch; i++) bus.Publish(Event($"c{published++}"));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref received) < published && DateTime.UtcNow < deadline) await Task.Delay(1);
        }
        await reading.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, bus.SubscriberCount);
        await Assert.ThrowsAsync<SubscriberTooSlowException>(async () =>
        {
            await foreach (var _ in stuck.ReadAllAsync(CancellationToken.None)) { }
        });
    }

    [Fact]
    public void Dispose_Unsubscribes()
    {
        var bus = new ContainerEventBus(NullLogger<ContainerEventBus>.Instance);
        var s = bus.Subscribe("x");

        s.Dispose();
        bus.Publish(Event("c"));

        Assert.Equal(0, bus.SubscriberCount);
    }
}
