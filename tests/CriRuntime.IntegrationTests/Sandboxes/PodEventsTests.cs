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
    public async Task RunPodSandbox_SubscriberThatNeverReads_DoesNotSlowPods()
    {
        using var idle = Daemon.Runtime.GetContainerEvents(new GetEventsRequest());
        await idle.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));

        // Each cycle publishes four events the idle subscriber never takes; the pods must not wait for it.
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            var id = await RunAsync(Pods.Config($"idle-{i}", CgroupParent));
            await StopAndRemoveAsync(id);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"5 pod cycles took {watch.Elapsed}");
        var status = await Daemon.Runtime.StatusAsync(new StatusRequest());
        Assert.True(status.Status.Conditions.Single(c => c.Type == "RuntimeReady").Status);
    }
}
