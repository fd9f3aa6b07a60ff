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
        Assert.All(ours, e => Assert.Equal(id, Assert.Single(e.ContainersStatuses).Id));
        Assert.Equal(
            [ContainerState.ContainerCreated, ContainerState.ContainerRunning, ContainerState.ContainerExited, ContainerState.ContainerExited],
            ours.Select(e => e.ContainersStatuses[0].State));
        Assert.Equal(stopped, ours[2].ContainersStatuses[0]);
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
        Assert.Equal(3, stop.ContainersStatuses[0].ExitCode);
        Assert.Equal(exited, stop.ContainersStatuses[0]);
        Assert.Equal(ContainerEventType.ContainerDeletedEvent, ours[^1].ContainerEventType);
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
