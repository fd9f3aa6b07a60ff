using CriRuntime.IntegrationTests.Harness;
using System.Diagnostics;
using CriRuntime.Api.V1;
using Grpc.Core;

namespace CriRuntime.Bench.Scenarios;

/// <summary>Start the daemon N times in fresh temp dirs: time to the first answered Version, and RSS once idle.</summary>
internal static class StartupScenario
{
    public static async Task RunAsync(string binary, int runs)
    {
        var ready = new List<double>();
        var rss = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var dir = Directory.CreateTempSubdirectory("criruntime-bench-").FullName;
            var socket = Path.Combine(dir, "cri.sock");
            var info = new ProcessStartInfo(binary)
            {
                ArgumentList = { "--listen", socket, "--root", Path.Combine(dir, "root"), "--run-root", Path.Combine(dir, "run"),
                                 "--cni-conf-dir", Path.Combine(dir, "cni"), "--log-level", "warn" },
                RedirectStandardError = true,
            };
            using var channel = UnixChannel.Create(socket);
            var client = new RuntimeService.RuntimeServiceClient(channel);

            var watch = Stopwatch.StartNew();
            using var process = Process.Start(info)!;
            while (true)
            {
                try
                {
                    await client.VersionAsync(new VersionRequest());
                    break;
                }
                catch (RpcException) when (watch.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
                {
                    await Task.Delay(1);
                }
            }
            ready.Add(watch.Elapsed.TotalMilliseconds);

            // Idle: a few Status calls as kubelet makes them, then let the GC settle.
            for (var n = 0; n < 5; n++) await client.StatusAsync(new StatusRequest());
            await Task.Delay(2000);
            rss.Add(ProcStatus.RssMiB(process.Id));

            process.Kill();
            await process.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
        Console.WriteLine($"startup of {binary} ({runs} runs)");
        Console.WriteLine($"{"figure",-28} {"median",10} {"p90",10} {"max",10}");
        Console.WriteLine($"{"ready (start -> Version)",-28} {Figures.Percentile(ready, 50),8:F1}ms {Figures.Percentile(ready, 90),8:F1}ms {ready.Max(),8:F1}ms");
        Console.WriteLine($"{"idle RSS",-28} {Figures.Percentile(rss, 50),8:F1}MB {Figures.Percentile(rss, 90),8:F1}MB {rss.Max(),8:F1}MB");
    }
}
