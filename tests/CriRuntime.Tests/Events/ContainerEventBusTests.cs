using CriRuntime.Api.V1;
using CriRuntime.Events;
using Microsoft.Extensions.Logging;
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
    public async Task Publish_ConcurrentPublishersOverflowOneSubscriber_DroppedAndLoggedOnce()
    {
        var logger = new CountingLogger();
        var bus = new ContainerEventBus(logger);
        using var stuck = bus.Subscribe("stuck");
        for (var i = 0; i < ContainerEventBus.SubscriberBuffer; i++) bus.Publish(Event($"c{i}"));

        // Pods and containers publish from many threads at once: each of them finds the buffer full.
        using var start = new Barrier(8);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 200; i++) bus.Publish(Event($"t{t}-{i}"));
        }, TaskCreationOptions.LongRunning)));

        Assert.Equal(1, logger.Warnings);
        Assert.Equal(0, bus.SubscriberCount);
    }

    private sealed class CountingLogger : ILogger<ContainerEventBus>
    {
        private int _warnings;

        public int Warnings => Volatile.Read(ref _warnings);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) Interlocked.Increment(ref _warnings);
        }
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
