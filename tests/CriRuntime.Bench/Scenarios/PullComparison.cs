using System.Diagnostics;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;

namespace CriRuntime.Bench.Scenarios;

/// <summary>
/// Cold pulls from a local registry: a fresh daemon (and, with --containerd-script, a fresh containerd) per run,
/// timing PullImage of a small and a big image, and the peak RSS growth of the daemon process across both pulls
/// (VmHWM after, once reset to the idle RSS through /proc/PID/clear_refs).
/// </summary>
internal static class PullComparison
{
    private sealed record Run(double SmallMs, double BigMs, double PeakGrowthMiB);

    public static async Task RunAsync(string binary, string registry, string image, string small, int runs, string? containerdScript)
    {
        var ours = new List<Run>();
        var peer = new List<Run>();
        for (var i = 0; i < runs; i++)
        {
            ours.Add(await WithOursAsync(binary, registry, (socket, pid) => MeasureAsync(socket, pid, $"{registry}/{small}", $"{registry}/{image}")));
            if (containerdScript is not null)
            {
                peer.Add(await WithContainerdAsync(containerdScript, registry, (socket, pid) => MeasureAsync(socket, pid, $"{registry}/{small}", $"{registry}/{image}")));
            }
        }
        Console.WriteLine($"cold pull from {registry} ({runs} runs, medians; {binary})");
        Console.WriteLine($"{"operation",-34} {"criruntime",12} {(peer.Count > 0 ? "containerd" : ""),12}");
        Row($"pull {small}", ours, peer, r => r.SmallMs, "ms");
        Row($"pull {image}", ours, peer, r => r.BigMs, "ms");
        Row("peak RSS growth (both pulls)", ours, peer, r => r.PeakGrowthMiB, "MB");
    }

    private static void Row(string name, List<Run> ours, List<Run> peer, Func<Run, double> pick, string unit)
    {
        var theirs = peer.Count > 0 ? $"{Figures.Percentile(peer.Select(pick).ToList(), 50),10:F1}{unit}" : "";
        Console.WriteLine($"{name,-34} {Figures.Percentile(ours.Select(pick).ToList(), 50),10:F1}{unit} {theirs,12}");
    }

    private static async Task<Run> MeasureAsync(string socket, int pid, string smallRef, string bigRef)
    {
        using var channel = UnixChannel.Create(socket);
        var images = new ImageService.ImageServiceClient(channel);
        await images.ListImagesAsync(new ListImagesRequest());
        await Task.Delay(500);
        var idle = ReadKiB(pid, "VmRSS:");
        File.WriteAllText($"/proc/{pid}/clear_refs", "5"); // resets VmHWM to the current RSS

        var watch = Stopwatch.StartNew();
        await images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = smallRef } });
        var smallMs = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        await images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = bigRef } });
        var bigMs = watch.Elapsed.TotalMilliseconds;
        var peak = ReadKiB(pid, "VmHWM:");
        return new Run(smallMs, bigMs, (peak - idle) / 1024.0);
    }

    private static async Task<Run> WithOursAsync(string binary, string registry, Func<string, int, Task<Run>> measure)
    {
        var dir = Directory.CreateTempSubdirectory("criruntime-bench-").FullName;
        var socket = Path.Combine(dir, "cri.sock");
        var config = Path.Combine(dir, "criruntime.toml");
        File.WriteAllText(config, $"""
            root = "{dir}/root"
            run_root = "{dir}/run"
            log_level = "warn"
            [api]
            listen = "{socket}"
            [network]
            cni_conf_dir = "{dir}/cni"
            [[image.registries]]
            prefix = "{registry}"
            insecure = true
            """);
        using var process = Process.Start(new ProcessStartInfo(binary, ["--config", config]) { RedirectStandardError = true })!;
        try
        {
            await WaitForCriAsync(socket, process);
            return await measure(socket, process.Id);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<Run> WithContainerdAsync(string script, string registry, Func<string, int, Task<Run>> measure)
    {
        var dir = Directory.CreateTempSubdirectory("criruntime-bench-containerd-").FullName;
        try
        {
            var socket = (await RunScriptAsync(script, "start", dir, registry)).Trim();
            var pid = int.Parse(File.ReadAllText(Path.Combine(dir, "containerd.pid")).Trim());
            await WaitForCriAsync(socket, null);
            return await measure(socket, pid);
        }
        finally
        {
            await RunScriptAsync(script, "stop", dir);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task WaitForCriAsync(string socket, Process? process)
    {
        using var channel = UnixChannel.Create(socket);
        var runtime = new RuntimeService.RuntimeServiceClient(channel);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await runtime.VersionAsync(new VersionRequest());
                return;
            }
            catch (RpcException) when (watch.Elapsed < TimeSpan.FromSeconds(30) && process is not { HasExited: true })
            {
                await Task.Delay(20);
            }
        }
    }

    private static async Task<string> RunScriptAsync(string script, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(script, args) { RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{script} {string.Join(' ', args)} failed");
    }

    private static long ReadKiB(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
