using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>GetContainerEvents as kubelet's evented PLEG sees a container's lifecycle.</summary>
public sealed class ContainerEventsTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    [Fact]
    public async Task GetContainerEvents_ContainerLifecycle_CreatedStartedStoppedDeletedWithStatuses()
    {
        var before = LeakCheck.Take(Daemon, cgroupParent: CgroupParent);
        var pod = await RunPodAsync("events");
        using var call = Daemon.Runtime.GetContainerEvents(new GetEventsRequest());
        await call.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));

        var id = await RunAsync(pod, BusyboxConfig("worker", "sleep", "600"));
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 0 });
        // Idempotent repeats change nothing and announce nothing.
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 0 });
        var stopped = await StatusAsync(id);
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        var ours = await EventsOfAsync(call, pod, id);

        Assert.Equal(
            [ContainerEventType.ContainerCreatedEvent, ContainerEventType.ContainerStartedEvent,
             ContainerEventType.ContainerStoppedEvent, ContainerEventType.ContainerDeletedEvent],
            ours.Select(e => e.ContainerEventType));
        Assert.All(ours, e => Assert.Equal(pod.Id, e.PodSandboxStatus.Id));
        Assert.All(ours, e => Assert.Equal(PodSandboxState.SandboxReady, e.PodSandboxStatus.State));
        Assert.All(ours[..3], e => Assert.Equal(id, Assert.Single(e.ContainersStatuses).Id));
        Assert.Equal(
            [ContainerState.ContainerCreated, ContainerState.ContainerRunning, ContainerState.ContainerExited],
            ours[..3].Select(e => e.ContainersStatuses[0].State));
        Assert.Equal(stopped, ours[2].ContainersStatuses[0]);
        // As containerd: a deleted container is not in its own DELETED event's pod view.
        Assert.Empty(ours[3].ContainersStatuses);
        Assert.True(ours.Zip(ours.Skip(1)).All(p => p.First.CreatedAt <= p.Second.CreatedAt));
        await StopRemovePodAsync(pod.Id);
        LeakCheck.Take(Daemon, cgroupParent: CgroupParent).AssertSameAs(before, "daemon fds");
    }

    [Fact]
    public async Task GetContainerEvents_ContainerExitsOnItsOwn_OneStoppedEvent()
    {
        var pod = await RunPodAsync("exits");
        using var call = Daemon.Runtime.GetContainerEvents(new GetEventsRequest());
        await call.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));

        var id = await RunAsync(pod, BusyboxConfig("quitter", "sh", "-c", "exit 3"));
        var exited = await WaitExitedAsync(id);
        // Status, a Stop and a second Status of the exited container change nothing.
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 0 });
        await StatusAsync(id);
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        var ours = await EventsOfAsync(call, pod, id);

        var stops = ours.Where(e => e.ContainerEventType == ContainerEventType.ContainerStoppedEvent).ToList();
        var stop = Assert.Single(stops);
        Assert.Equal(3, Assert.Single(stop.ContainersStatuses).ExitCode);
        Assert.Equal(exited, stop.ContainersStatuses[0]);
        Assert.Equal(ContainerEventType.ContainerDeletedEvent, ours[^1].ContainerEventType);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task GetContainerEvents_TwoContainerPodLifecycle_InOrderWithPodAndAllContainerStatuses()
    {
        // Subscribed before the pod exists, as kubelet's evented PLEG is.
        using var call = Daemon.Runtime.GetContainerEvents(new GetEventsRequest());
        await call.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));

        var pod = await RunPodAsync("pleg");
        var ready = (await Daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = pod.Id })).Status;
        var a = await RunAsync(pod, BusyboxConfig("a", "sleep", "600"));
        var b = await RunAsync(pod, BusyboxConfig("b", "sleep", "600"));
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = a, Timeout = 0 });
        var stoppedA = await StatusAsync(a);
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = a });
        await StopRemovePodAsync(pod.Id);

        var events = new List<ContainerEventResponse>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            events.Add(call.ResponseStream.Current);
            if (events[^1] is { ContainerEventType: ContainerEventType.ContainerDeletedEvent } last && last.ContainerId == pod.Id) break;
        }

        const ContainerEventType Created = ContainerEventType.ContainerCreatedEvent, Started = ContainerEventType.ContainerStartedEvent,
            Stopped = ContainerEventType.ContainerStoppedEvent, Deleted = ContainerEventType.ContainerDeletedEvent;
        const ContainerState C = ContainerState.ContainerCreated, R = ContainerState.ContainerRunning, X = ContainerState.ContainerExited;
        // (event, container statuses of the pod as the event carries them, oldest container first)
        (string Id, ContainerEventType Type, string Statuses)[] expected =
        [
            (pod.Id, Created, ""), (pod.Id, Started, ""),
            (a, Created, $"{a}:{C}"), (a, Started, $"{a}:{R}"),
            (b, Created, $"{a}:{R} {b}:{C}"), (b, Started, $"{a}:{R} {b}:{R}"),
            (a, Stopped, $"{a}:{X} {b}:{R}"), (a, Deleted, $"{b}:{R}"),
            (b, Stopped, $"{b}:{X}"), (pod.Id, Stopped, $"{b}:{X}"),
            (b, Deleted, ""), (pod.Id, Deleted, ""),
        ];
        Assert.Equal(expected, events.Select(e => (e.ContainerId, e.ContainerEventType,
            string.Join(" ", e.ContainersStatuses.Select(s => $"{s.Id}:{s.State}")))));
        // Every event names the pod; its state flips with the pod's own STOPPED.
        Assert.All(events, e => Assert.Equal(pod.Id, e.PodSandboxStatus.Id));
        Assert.All(events[..9], e => Assert.Equal(ready, e.PodSandboxStatus));
        Assert.All(events[9..], e => Assert.Equal(PodSandboxState.SandboxNotready, e.PodSandboxStatus.State));
        // The statuses are what ContainerStatus returns.
        Assert.Equal(stoppedA, events[6].ContainersStatuses[0]);
        Assert.Equal("b", events[5].ContainersStatuses[1].Metadata.Name);
        Assert.Equal(Busybox, events[5].ContainersStatuses[1].Image.Image);
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.CreatedAt <= p.Second.CreatedAt));
    }

    [Fact]
    public async Task RemoveContainer_Running_StoppedWithExitStatusThenDeletedOnce()
    {
        var pod = await RunPodAsync("remove-running");
        using var call = Daemon.Runtime.GetContainerEvents(new GetEventsRequest());
        await call.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));

        var id = await RunAsync(pod, BusyboxConfig("doomed", "sleep", "600"));
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        var ours = await EventsOfAsync(call, pod, id);

        Assert.Equal(
            [ContainerEventType.ContainerCreatedEvent, ContainerEventType.ContainerStartedEvent,
             ContainerEventType.ContainerStoppedEvent, ContainerEventType.ContainerDeletedEvent],
            ours.Select(e => e.ContainerEventType));
        var exited = Assert.Single(ours[2].ContainersStatuses);
        Assert.Equal(id, exited.Id);
        Assert.Equal(ContainerState.ContainerExited, exited.State);
        Assert.Equal(137, exited.ExitCode); // SIGKILL: the stop RemoveContainer does has no grace period
        Assert.True(exited.FinishedAt >= exited.StartedAt && exited.StartedAt > 0);
        Assert.Empty(ours[3].ContainersStatuses);
        await StopRemovePodAsync(pod.Id);
    }

    /// <summary>The events of <paramref name="id"/>, read until a marker container's CREATED shows all of them arrived.</summary>
    private async Task<List<ContainerEventResponse>> EventsOfAsync(AsyncServerStreamingCall<ContainerEventResponse> call,
        (string Id, PodSandboxConfig Config) pod, string id)
    {
        var marker = await CreateAsync(pod, BusyboxConfig("marker", "true"));
        var events = new List<ContainerEventResponse>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            events.Add(call.ResponseStream.Current);
            if (call.ResponseStream.Current.ContainerId == marker) break;
        }
        return events.Where(e => e.ContainerId == id).ToList();
    }
}
