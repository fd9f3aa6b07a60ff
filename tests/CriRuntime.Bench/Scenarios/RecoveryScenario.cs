using System.Diagnostics;
using System.Text.RegularExpressions;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;

namespace CriRuntime.Bench.Scenarios;

/// <summary>
/// Restart recovery: N pods with one running container each, then the daemon is killed with SIGKILL (and, second,
/// stopped with SIGTERM) and started again. Prints the time from process start to the first answered Version
/// (serving), to both lists answering complete (every pod ready, every container running), and the daemon's own
/// "startup recovery finished" time (undo, exit reconciliation, orphan sweep).
/// </summary>
internal static partial class RecoveryScenario
{
    public static async Task RunAsync(string binary, string config, string socket, string image, int pods, string workDir)
    {
        var daemon = Start(binary, config);
        using var channel = UnixChannel.Create(socket);
        var runtime = new RuntimeService.RuntimeServiceClient(channel);
        var images = new ImageService.ImageServiceClient(channel);
        var ids = new List<string>();
        try
        {
            await WaitServingAsync(runtime, daemon.Process);
            await images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image } });
            var settings = new BenchSettings { Endpoint = "unix://" + socket, WorkDir = workDir };
            var created = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, pods), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
            {
                var pod = CriConfigs.Pod(settings, $"recovery-{i}");
                // A cgroup parent of its own: the sweep after the SIGKILL looks under the parents its records use,
                // and the default /criruntime may hold another daemon's pods on this machine.
                pod.Linux.CgroupParent = "/criruntime-bench-recovery";
                var podId = (await runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = pod }, cancellationToken: ct)).PodSandboxId;
                lock (ids) ids.Add(podId);
                var id = (await runtime.CreateContainerAsync(new CreateContainerRequest
                {
                    PodSandboxId = podId,
                    Config = CriConfigs.Container(image, "c", "sleep", "100000"),
                    SandboxConfig = pod,
                }, cancellationToken: ct)).ContainerId;
                await runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: ct);
            });
            Console.WriteLine($"recovery of {pods} pods with {pods} running containers ({binary}); set up in {created.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"{"restart after",-16} {"serving",10} {"lists complete",16} {"recovery finished",19}");
            foreach (var (name, signal) in new[] { ("SIGKILL", 9), ("SIGTERM", 15) })
            {
                Process.Start("kill", [$"-{signal}", daemon.Process.Id.ToString()])!.WaitForExit();
                await daemon.Process.WaitForExitAsync();
                daemon = Start(binary, config);
                await WaitServingAsync(runtime, daemon.Process);
                var serving = daemon.Watch.Elapsed.TotalMilliseconds;
                var complete = await WaitCompleteAsync(runtime, pods, daemon.Watch);
                var finished = await daemon.RecoveryFinishedAsync();
                Console.WriteLine($"{name,-16} {serving,8:F0}ms {complete,14:F0}ms {finished,17:F0}ms");
            }
        }
        finally
        {
            foreach (var id in ids)
            {
                try
                {
                    await runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
                    await runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
                }
                catch (RpcException e)
                {
                    Console.Error.WriteLine($"cleanup of pod {id}: {e.Status.Detail}");
                }
            }
            Process.Start("kill", ["-TERM", daemon.Process.Id.ToString()])!.WaitForExit();
            await daemon.Process.WaitForExitAsync();
        }
    }

    private sealed class Daemon(Process process)
    {
        private readonly TaskCompletionSource<double> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Process Process { get; } = process;
        public Stopwatch Watch { get; } = Stopwatch.StartNew();

        public void OnLine(string? line)
        {
            if (line is not null && FinishedLine().Match(line) is { Success: true } m) _finished.TrySetResult(double.Parse(m.Groups[1].Value));
        }

        public Task<double> RecoveryFinishedAsync() => _finished.Task.WaitAsync(TimeSpan.FromSeconds(120));
    }

    private static Daemon Start(string binary, string config)
    {
        var info = new ProcessStartInfo(binary, ["--config", config, "--log-level", "info"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        var process = new Process { StartInfo = info };
        Daemon? daemon = null;
        process.ErrorDataReceived += (_, e) => daemon?.OnLine(e.Data);
        process.OutputDataReceived += (_, e) => daemon?.OnLine(e.Data);
        process.Start();
        daemon = new Daemon(process);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return daemon;
    }

    private static async Task<double> WaitServingAsync(RuntimeService.RuntimeServiceClient runtime, Process process)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await runtime.VersionAsync(new VersionRequest());
                return watch.Elapsed.TotalMilliseconds;
            }
            catch (RpcException) when (watch.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                await Task.Delay(1);
            }
        }
    }

    private static async Task<double> WaitCompleteAsync(RuntimeService.RuntimeServiceClient runtime, int pods, Stopwatch since)
    {
        while (true)
        {
            var ready = (await runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.Count(p => p.State == PodSandboxState.SandboxReady);
            var running = (await runtime.ListContainersAsync(new ListContainersRequest())).Containers.Count(c => c.State == ContainerState.ContainerRunning);
            if (ready >= pods && running >= pods) return since.Elapsed.TotalMilliseconds;
            if (since.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"{ready} pods ready, {running} containers running after 60 s");
            await Task.Delay(1);
        }
    }

    [GeneratedRegex(@"startup recovery finished: .*; ([0-9.]+) ms after the process started")]
    private static partial Regex FinishedLine();
}
