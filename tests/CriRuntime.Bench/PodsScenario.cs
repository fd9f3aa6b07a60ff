using System.Diagnostics;
using System.Text.Json.Nodes;
using CriRuntime.Api.V1;
using Grpc.Core;

namespace CriRuntime.Bench;

/// <summary>
/// RunPodSandbox / StopPodSandbox / RemovePodSandbox latency over N pods, sequentially, with the default bridge
/// conflist (cni/10-criruntime.conflist; only its host-local dataDir moved into the temp dir) and runc.
/// </summary>
internal static class PodsScenario
{
    public static async Task RunAsync(string binary, string pause, string conflist, int pods, string handler, string? runtimePath)
    {
        var dir = Directory.CreateTempSubdirectory("criruntime-bench-pods-").FullName;
        var socket = Path.Combine(dir, "cri.sock");
        var cniDir = Path.Combine(dir, "cni");
        Directory.CreateDirectory(cniDir);
        var network = JsonNode.Parse(File.ReadAllText(conflist))!;
        network["plugins"]![0]!["ipam"]!["dataDir"] = Path.Combine(dir, "ipam");
        File.WriteAllText(Path.Combine(cniDir, "10-criruntime.conflist"), network.ToJsonString());
        // BENCH_LOG=FILE: the daemon logs at debug into FILE, with per-step timings ("step ... took N ms").
        var logFile = Environment.GetEnvironmentVariable("BENCH_LOG");
        var config = Path.Combine(dir, "criruntime.toml");
        File.WriteAllText(config, $"""
            root = "{dir}/root"
            run_root = "{dir}/run"
            log_level = "{(string.IsNullOrEmpty(logFile) ? "warn" : "debug")}"
            [api]
            listen = "{socket}"
            [network]
            cni_conf_dir = "{cniDir}"
            [runtime]
            default_handler = "{handler}"
            pause_binary = "{pause}"
            {(runtimePath is null ? "" : $"[runtime.handlers.{handler}]\npath = \"{runtimePath}\"\nroot = \"{dir}/runtime\"")}
            """);
        using var process = Process.Start(new ProcessStartInfo(binary) { ArgumentList = { "--config", config }, RedirectStandardError = true })!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var channel = UnixChannel.Create(socket);
        var client = new RuntimeService.RuntimeServiceClient(channel);
        await WaitReadyAsync(client, process);

        var run = new List<double>();
        var stop = new List<double>();
        var remove = new List<double>();
        try
        {
            // One pod first: JIT, bridge creation and first-use costs are not what a node sees in steady state.
            for (var i = -1; i < pods; i++)
            {
                var watch = Stopwatch.StartNew();
                var id = (await client.RunPodSandboxAsync(new RunPodSandboxRequest { Config = Pod(i) })).PodSandboxId;
                var tRun = watch.Elapsed.TotalMilliseconds;
                watch.Restart();
                await client.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
                var tStop = watch.Elapsed.TotalMilliseconds;
                watch.Restart();
                await client.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
                var tRemove = watch.Elapsed.TotalMilliseconds;
                if (i < 0) continue;
                run.Add(tRun);
                stop.Add(tStop);
                remove.Add(tRemove);
            }
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
            if (!string.IsNullOrEmpty(logFile)) await File.WriteAllTextAsync(logFile, await stderr);
        }
        Console.WriteLine($"pods: {pods} sequential pods, handler {handler}, {binary}");
        Figures.PrintHeader();
        Figures.PrintRow("RunPodSandbox", run, "ms");
        Figures.PrintRow("StopPodSandbox", stop, "ms");
        Figures.PrintRow("RemovePodSandbox", remove, "ms");
        Console.WriteLine("peers here: containerd 1.6 Run ~170 ms, Stop ~178 ms (median); CRI-O 1.26 Run ~233 ms");
        Directory.Delete(dir, recursive: true);
    }

    private static PodSandboxConfig Pod(int i) => new()
    {
        Metadata = new PodSandboxMetadata { Name = $"bench-{i + 1}", Namespace = "bench", Uid = Guid.NewGuid().ToString() },
        Hostname = $"bench-{i + 1}",
        Linux = new LinuxPodSandboxConfig { SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = new NamespaceOption() } },
    };

    private static async Task WaitReadyAsync(RuntimeService.RuntimeServiceClient client, Process process)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await client.VersionAsync(new VersionRequest());
                return;
            }
            catch (RpcException) when (watch.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                await Task.Delay(10);
            }
        }
    }
}
