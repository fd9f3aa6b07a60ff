using System.Threading.Channels;
using CriRuntime.Api.V1;

namespace CriRuntime.Events;

/// <summary>
/// Fans out container and pod lifecycle events (CRI GetContainerEvents, kubelet's evented PLEG) to every subscriber.
/// Publishing never blocks: each subscriber has a bounded buffer, and one that falls that far behind is dropped
/// (its stream ends with an error and kubelet re-subscribes, relisting), so a stuck client never slows the runtime.
/// </summary>
internal sealed partial class ContainerEventBus(ILogger<ContainerEventBus> logger)
{
    public const int SubscriberBuffer = 1024;

    private readonly Lock _lock = new();
    private readonly List<Subscription> _subscribers = [];

    public int SubscriberCount
    {
        get { lock (_lock) return _subscribers.Count; }
    }

    /// <summary>Called by the code path that changed the state, once per change, after the change is persisted.</summary>
    public void Publish(ContainerEventResponse e)
    {
        List<Subscription>? overflowed = null;
        lock (_lock)
        {
            foreach (var s in _subscribers)
            {
                if (!s.Channel.Writer.TryWrite(e)) (overflowed ??= []).Add(s);
            }
            // Out of the list before the lock is released: a concurrent publisher would otherwise find it full
            // too and drop (and log) it a second time.
            foreach (var s in overflowed ?? []) _subscribers.Remove(s);
        }
        foreach (var s in overflowed ?? [])
        {
            LogSubscriberDropped(logger, s.Client, SubscriberBuffer);
            s.Drop();
        }
    }

    /// <summary>A new subscription; dispose it when the client goes away.</summary>
    public Subscription Subscribe(string client)
    {
        var s = new Subscription(this, client);
        lock (_lock) _subscribers.Add(s);
        return s;
    }

    private void Remove(Subscription s)
    {
        lock (_lock) _subscribers.Remove(s);
    }

    public sealed class Subscription : IDisposable
    {
        private readonly ContainerEventBus _bus;

        internal Subscription(ContainerEventBus bus, string client)
        {
            _bus = bus;
            Client = client;
        }

        internal Channel<ContainerEventResponse> Channel { get; } =
            System.Threading.Channels.Channel.CreateBounded<ContainerEventResponse>(new BoundedChannelOptions(SubscriberBuffer)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full; we drop the subscriber instead.
            });

        public string Client { get; }

        public IAsyncEnumerable<ContainerEventResponse> ReadAllAsync(CancellationToken ct) => Channel.Reader.ReadAllAsync(ct);

        internal void Drop()
        {
            Channel.Writer.TryComplete(new SubscriberTooSlowException(
                $"event subscriber fell {SubscriberBuffer} events behind and was dropped; subscribe again"));
            _bus.Remove(this);
        }

        public void Dispose()
        {
            Channel.Writer.TryComplete();
            _bus.Remove(this);
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning,
        Message = "dropped event subscriber {Client}: it fell {Buffer} events behind")]
    private static partial void LogSubscriberDropped(ILogger logger, string client, int buffer);
}

/// <summary>The subscriber could not keep up (RESOURCE_EXHAUSTED to the client).</summary>
internal sealed class SubscriberTooSlowException(string message) : Exception(message);
