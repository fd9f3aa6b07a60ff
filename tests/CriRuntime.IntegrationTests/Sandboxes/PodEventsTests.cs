using System.Diagnostics;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Sandboxes;

/// <summary>GetContainerEvents as kubelet's evented PLEG sees a pod's lifecycle (containerd's sandbox events).</summary>
[Collection("pods")]
public sealed class PodEventsTests(ITestOutputHelper output) : PodTestBase(output)
{
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task GetContainerEvents_PodLifecycle_CreatedStartedStoppedDeletedOnceEach()
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);
        using var call = Daemon.Runtime.GetContainerEvents(new GetEventsRequest());
        await call.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));
        var startedAt = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;

        var id = await RunAsync(Pods.Config("events", CgroupParent));
        var (readyStatus, _) = await StatusAsync(id);
        await StopAndRemoveAsync(id);
        // Idempotent repeats change nothing and tell nothing.
        await StopAndRemoveAsync(id);
        // A marker pod: once its CREATED arrives, every event of the first pod has been delivered.
        var marker = await RunAsync(Pods.Config("marker", CgroupParent));

        var events = new List<ContainerEventResponse>();
        while (await call.ResponseStream.MoveNext(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token))
        {
            events.Add(call.ResponseStream.Current);
            if (call.ResponseStream.Current.ContainerId == marker) break;
        }
        await StopAndRemoveAsync(marker);

        var ours = events.Where(e => e.ContainerId == id).ToList();
        Assert.Equal(
            [ContainerEventType.ContainerCreatedEvent, ContainerEventType.ContainerStartedEvent,
             ContainerEventType.ContainerStoppedEvent, ContainerEventType.ContainerDeletedEvent],
            ours.Select(e => e.ContainerEventType));
        Assert.Equal(readyStatus, ours[0].PodSandboxStatus);
        Assert.Equal(readyStatus, ours[1].PodSandboxStatus);
        Assert.Equal(PodSandboxState.SandboxNotready, ours[2].PodSandboxStatus.State);
        Assert.Equal(PodSandboxState.SandboxNotready, ours[3].PodSandboxStatus.State);
        Assert.All(ours, e => Assert.Equal(id, e.PodSandboxStatus.Id));
        Assert.All(ours, e => Assert.InRange(e.CreatedAt, startedAt, (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100));
        Assert.True(ours.Zip(ours.Skip(1)).All(p => p.First.CreatedAt <= p.Second.CreatedAt));
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_SubscriberThatNeverReadsOverflows_DroppedAndLoggedWithoutSlowingPods()
    {
        const int Workers = 2;
        // The same concurrency without any subscriber: what "normal" is on this (shared) machine right now.
        var baseline = await PodCyclesAsync(Workers, cyclesPerWorker: 5, stop: () => false);
        using var idle = Daemon.Runtime.GetContainerEvents(new GetEventsRequest());
        await idle.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));
        using var reader = Daemon.Runtime.GetContainerEvents(new GetEventsRequest());
        await reader.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));
        var read = 0;
        var reading = Task.Run(async () =>
        {
            while (await reader.ResponseStream.MoveNext(CancellationToken.None)) Interlocked.Increment(ref read);
        });

        // Four events per cycle, each carrying the pod's 16 KiB annotation so the gRPC stream's own buffers (flow
        // control windows) hold only a few: the idle subscriber's 1024-event buffer overflows after ~260 cycles.
        const string Dropped = "dropped event subscriber";
        // A publisher that waited for the stuck subscriber would hang the pods: bounded, so that fails instead of hanging.
        var flood = await PodCyclesAsync(Workers, cyclesPerWorker: 400, stop: () => Daemon.LogCount(Dropped) > 0).WaitAsync(TimeSpan.FromMinutes(3));
        await Daemon.WaitForLogAsync(Dropped, 0, TimeSpan.FromSeconds(10));

        Assert.True(flood.Count * 4 > 1024, $"{flood.Count} cycles");
        Assert.Equal(1, Daemon.LogCount(Dropped));
        var (baseMedian, floodMedian) = (Median(baseline), Median(flood));
        _output.WriteLine($"RunPodSandbox median: {baseMedian:F1} ms without a subscriber, {floodMedian:F1} ms over {flood.Count} cycles with one stuck (max {flood.Max():F1} ms)");
        Assert.True(floodMedian < 2 * baseMedian + 100, $"RunPodSandbox median {floodMedian:F1} ms with a stuck subscriber, {baseMedian:F1} ms without");
        // The stuck stream ends with RESOURCE_EXHAUSTED once its buffered events are read; the reading one lives on.
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await idle.ResponseStream.MoveNext(timeout.Token)) { }
        });
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        var marker = await RunAsync(HostNetworkConfig("marker"));
        var expected = flood.Count * 4 + 2;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref read) < expected && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(expected, Volatile.Read(ref read));
        Assert.False(reading.IsCompleted);
        await StopAndRemoveAsync(marker);
    }

    /// <summary>Host-network pod cycles (Run, Stop, Remove) on parallel workers until <paramref name="stop"/>; the RunPodSandbox times in ms.</summary>
    private async Task<List<double>> PodCyclesAsync(int workers, int cyclesPerWorker, Func<bool> stop)
    {
        var times = new List<double>();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < cyclesPerWorker && !stop(); i++)
            {
                var watch = Stopwatch.StartNew();
                var id = await RunAsync(HostNetworkConfig($"flood-{w}-{i}"));
                lock (times) times.Add(watch.Elapsed.TotalMilliseconds);
                await StopAndRemoveAsync(id);
            }
        })));
        return times;
    }

    private PodSandboxConfig HostNetworkConfig(string name)
    {
        var config = Pods.Config(name, CgroupParent);
        config.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Node;
        config.Annotations["filler"] = new string('x', 16 * 1024);
        return config;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
