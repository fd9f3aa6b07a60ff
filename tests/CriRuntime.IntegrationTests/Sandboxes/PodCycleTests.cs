using System.Diagnostics;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Sandboxes;

/// <summary>Many pod lifecycles in a row leave the host exactly as it was.</summary>
[Collection("pods")]
public sealed class PodCycleTests(ITestOutputHelper output)
{
    private const int Cycles = 200;

    [Fact]
    public async Task RunStopRemove_200Cycles_LeaveHostAsBefore()
    {
        var cgroupParent = Pods.NewCgroupParent();
        PodNetwork? network = null;
        await using var daemon = await CriDaemon.StartAsync(output, s =>
        {
            Pods.Configure(s);
            s.LogLevel = "info";
            network = PodNetwork.For(s);
        });
        try
        {
            // The first pod creates the bridge and opens the daemon's long-lived fds; count from after it.
            await CycleAsync(daemon, cgroupParent, -1);
            var before = LeakCheck.Take(daemon, network, cgroupParent);
            var watch = Stopwatch.StartNew();

            for (var i = 0; i < Cycles; i++) await CycleAsync(daemon, cgroupParent, i);

            output.WriteLine($"{Cycles} cycles in {watch.Elapsed.TotalSeconds:F1} s ({watch.Elapsed.TotalMilliseconds / Cycles:F0} ms each)");
            LeakCheck.Take(daemon, network, cgroupParent).AssertSameAs(before);
        }
        finally
        {
            await Pods.RemoveAllAsync(daemon);
            await daemon.DisposeAsync();
            network!.Dispose();
            Pods.RemoveCgroupParent(cgroupParent);
        }
    }

    private static async Task CycleAsync(CriDaemon daemon, string cgroupParent, int i)
    {
        var config = Pods.Config($"cycle-{i + 1}", cgroupParent);
        config.PortMappings.Add(new PortMapping { ContainerPort = 80, HostPort = 30000 + (i + 1) % 1000 });
        var id = (await daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config })).PodSandboxId;
        await daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
        await daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
    }
}
