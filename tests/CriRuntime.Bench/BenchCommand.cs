using CriRuntime.Bench.Scenarios;

namespace CriRuntime.Bench;

/// <summary>criruntime-bench: measures any CRI endpoint the same way; with --compare, two in alternation.</summary>
internal static class BenchCommand
{
    private const string Usage = """
        usage: criruntime-bench --endpoint unix:///path.sock [--compare unix:///peer.sock] [options] [SCENARIO...]
               criruntime-bench startup --binary PATH [--runs N]
               criruntime-bench recovery --binary PATH --config FILE --socket PATH --image REF [--pods N] [--workdir DIR]
                 N pods x 1 running container, then kill -9 / SIGTERM and restart: time to serving and to recovered
               criruntime-bench pull-compare --binary PATH --registry HOST:PORT --image REPO:TAG --small REPO:TAG
                                [--runs N] [--containerd-script PATH]
                 cold pulls with a fresh daemon (and a fresh containerd) per run: time and peak RSS growth

        scenarios (default: all whose requirements are given):
          pod            RunPodSandbox / PodSandboxStatus / StopPodSandbox / RemovePodSandbox
          container      Create / Start / Status / Stop / Remove in an existing pod      (needs --image)
          pod+container  RunPodSandbox + CreateContainer + StartContainer from scratch  (needs --image)
          execsync       ExecSync `true` in a running container                       (needs --image)
          pull           cold PullImage of --image, time and daemon peak RSS growth
          pull-large     the same for --large-image (e.g. a ~200 MB, 5-layer image)
          stats100       ListContainerStats with 100 running containers                (needs --image)
          parallel20     20 RunPodSandbox at once: total and per-pod p90
          podstats100    ListPodSandboxStats and ListPodSandboxMetrics with 100 ready pods
          memory         daemon RSS idle and with 50 pods x 1 container; per-container overhead (needs --image)
          unary          Version on one connection, :authority = socket path (kubelet <= 1.30) and = localhost, in µs

        options:
          --samples N (20)  --warmup N (3)  --image REF  --large-image REF  --json FILE|-  --workdir DIR
        """;

    private static readonly Scenario[] All =
    [
        new PodScenario(), new ContainerScenario(), new PodAndContainerScenario(), new ExecSyncScenario(),
        new PullScenario("pull", s => s.Image), new PullScenario("pull-large", s => s.LargeImage),
        new ContainerStatsScenario(), new ParallelPodsScenario(), new MemoryScenario(), new UnaryScenario(), new PodStatsScenario(),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "startup")
        {
            var o = Options.Parse(args.Skip(1));
            await StartupScenario.RunAsync(o.Require("binary"), o.Int("runs", 10));
            return 0;
        }
        if (args.Length > 0 && args[0] == "recovery")
        {
            var o = Options.Parse(args.Skip(1));
            await RecoveryScenario.RunAsync(o.Require("binary"), o.Require("config"), o.Require("socket"), o.Require("image"),
                o.Int("pods", 100), o.Get("workdir") ?? "/tmp/criruntime-bench");
            return 0;
        }
        if (args.Length > 0 && args[0] == "pull-compare")
        {
            var o = Options.Parse(args.Skip(1));
            await PullComparison.RunAsync(o.Require("binary"), o.Require("registry"), o.Require("image"),
                o.Require("small"), o.Int("runs", 3), o.Get("containerd-script"));
            return 0;
        }
        BenchSettings settings;
        try
        {
            settings = Options.ToSettings(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"criruntime-bench: {e.Message}\n{Usage}");
            return 2;
        }

        var chosen = settings.Scenarios.Count == 0
            ? All.Where(s => s.MissingRequirement(settings) is null).ToList()
            : settings.Scenarios.Select(n => All.FirstOrDefault(s => s.Name == n) ?? throw new ArgumentException($"unknown scenario {n}")).ToList();
        foreach (var s in chosen)
        {
            if (s.MissingRequirement(settings) is { } missing)
            {
                Console.Error.WriteLine($"criruntime-bench: scenario {s.Name} needs {missing}");
                return 2;
            }
        }

        using var ours = new CriEndpoint("ours", settings.Endpoint);
        using var peer = settings.CompareEndpoint is null ? null : new CriEndpoint("peer", settings.CompareEndpoint);
        var endpoints = peer is null ? new[] { ours } : new[] { ours, peer };
        var versions = new Dictionary<string, string>();
        // Columns are labelled with each runtime's own name, read from Version.
        var ourVersion = await ours.DescribeAsync();
        versions[ours.Name] = ourVersion;
        if (peer is not null)
        {
            // DescribeAsync renames the endpoint, so read the name only after it ran.
            var peerVersion = await peer.DescribeAsync(avoidName: ours.Name);
            versions[peer.Name] = peerVersion;
        }
        Directory.CreateDirectory(settings.WorkDir);

        var results = await Runner.RunAsync(chosen, endpoints, settings, CancellationToken.None);
        var machine = MachineInfo.Read();
        Report.PrintTable(results, endpoints, machine, versions);
        if (settings.JsonPath is not null) Report.WriteJson(settings.JsonPath, results, machine, versions);
        return 0;
    }
}
