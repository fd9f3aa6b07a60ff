using System.Diagnostics;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>ContainerStatus and ListContainers as kubelet and crictl query them.</summary>
public sealed class ContainerQueryTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    [Fact]
    public async Task ContainerStatus_ProcessExits_ExitedWithinASecond()
    {
        var pod = await RunPodAsync("exit-timing");
        var dir = Directory.CreateTempSubdirectory("crt-exit-").FullName;
        try
        {
            var fifo = Path.Combine(dir, "go");
            HostCommand.Check("mkfifo", fifo);
            var config = BusyboxConfig("waiter", "sh", "-c", "read line < /sync/go; exit 3");
            config.Mounts.Add(new Mount { HostPath = dir, ContainerPath = "/sync" });
            var id = await RunAsync(pod, config);
            // Opening the fifo for writing blocks until the container has it open: the exit happens when we write.
            await Task.Run(() =>
            {
                using var w = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                w.Write("now\n"u8);
            }).WaitAsync(TimeSpan.FromSeconds(20));
            var exitedAt = Stopwatch.StartNew();
            var wrote = DateTimeOffset.UtcNow;
            ContainerStatus status;
            while ((status = await StatusAsync(id)).State != ContainerState.ContainerExited)
            {
                Assert.True(exitedAt.Elapsed < TimeSpan.FromSeconds(5), $"still {status.State} 5 s after the exit");
                await Task.Delay(10);
            }
            Output.WriteLine($"EXITED after {exitedAt.Elapsed.TotalMilliseconds:F0} ms");
            // The issue asks for ~100 ms; 1 s keeps a loaded 2-core machine green, and still fails a poll of seconds.
            Assert.InRange(exitedAt.Elapsed.TotalMilliseconds, 0, 1000);
            Assert.Equal((3, "Error"), (status.ExitCode, status.Reason));
            var finished = DateTimeOffset.FromUnixTimeMilliseconds(status.FinishedAt / 1_000_000);
            Assert.InRange((finished - wrote).TotalMilliseconds, -100, 1000);
            await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task ListContainers_StateIdPrefixAndLabelFilters_SelectAndCombine()
    {
        var pod = await RunPodAsync("list");
        var other = await RunPodAsync("list-other");
        ContainerConfig Labelled(string name, string tier, params string[] command)
        {
            var c = BusyboxConfig(name, command);
            c.Labels["tier"] = tier;
            c.Labels["name"] = name;
            return c;
        }
        var running = await RunAsync(pod, Labelled("running", "front", "sleep", "1000"));
        var created = await CreateAsync(pod, Labelled("created", "front", "sleep", "1000"));
        var exited = await RunAsync(pod, Labelled("exited", "back", "true"));
        await WaitExitedAsync(exited);
        var elsewhere = await RunAsync(other, Labelled("elsewhere", "front", "sleep", "1000"));

        async Task<string[]> List(ContainerFilter filter) =>
            (await Daemon.Runtime.ListContainersAsync(new ListContainersRequest { Filter = filter })).Containers.Select(c => c.Id).Order().ToArray();
        string[] Ids(params string[] ids) => ids.Order().ToArray();
        ContainerStateValue State(ContainerState s) => new() { State = s };

        Assert.Equal(Ids(running, created, exited, elsewhere), await List(new ContainerFilter()));
        Assert.Equal(Ids(running, elsewhere), await List(new ContainerFilter { State = State(ContainerState.ContainerRunning) }));
        Assert.Equal(Ids(created), await List(new ContainerFilter { State = State(ContainerState.ContainerCreated) }));
        Assert.Equal(Ids(exited), await List(new ContainerFilter { State = State(ContainerState.ContainerExited) }));
        Assert.Equal(Ids(running), await List(new ContainerFilter { Id = running }));
        Assert.Equal(Ids(created), await List(new ContainerFilter { Id = created[..12] }));
        Assert.Empty(await List(new ContainerFilter { Id = "f" + new string('0', 63) }));
        Assert.Equal(Ids(running, created, elsewhere), await List(new ContainerFilter { LabelSelector = { ["tier"] = "front" } }));
        Assert.Equal(Ids(created), await List(new ContainerFilter { LabelSelector = { ["tier"] = "front", ["name"] = "created" } }));
        Assert.Empty(await List(new ContainerFilter { LabelSelector = { ["tier"] = "middle" } }));

        // Filters combine (AND): each of these alone matches, together they narrow or exclude.
        Assert.Equal(Ids(running), await List(new ContainerFilter { PodSandboxId = pod.Id, LabelSelector = { ["tier"] = "front" }, State = State(ContainerState.ContainerRunning) }));
        Assert.Equal(Ids(elsewhere), await List(new ContainerFilter { PodSandboxId = other.Id[..12], State = State(ContainerState.ContainerRunning) }));
        Assert.Empty(await List(new ContainerFilter { Id = running, State = State(ContainerState.ContainerExited) }));
        Assert.Empty(await List(new ContainerFilter { Id = exited[..12], LabelSelector = { ["tier"] = "front" } }));

        await StopRemovePodAsync(other.Id);
        await StopRemovePodAsync(pod.Id);
    }
}
