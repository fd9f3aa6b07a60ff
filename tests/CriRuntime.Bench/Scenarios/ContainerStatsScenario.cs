using CriRuntime.Api.V1;

namespace CriRuntime.Bench.Scenarios;

/// <summary>
/// ListContainerStats with 100 running containers (kubelet polls it every 10 s for every container); the first
/// sample also measures the daemon's CPU over 30 s of idling with that 10 s poll.
/// </summary>
internal sealed class ContainerStatsScenario : Scenario
{
    private const int Containers = 100;

    public override string Name => "stats100";

    public override string? MissingRequirement(BenchSettings settings) => settings.Image is null ? "--image" : null;

    public override IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings) => new Run(endpoint, settings);

    private sealed class Run(CriEndpoint e, BenchSettings s) : IScenarioRun
    {
        private readonly List<string> _pods = [];

        public async Task SetupAsync(CancellationToken ct)
        {
            await PodLifecycle.EnsureImageAsync(e, s.Image!, ct);
            // 10 pods with 10 containers each, as on a busy node.
            for (var p = 0; p < Containers / 10; p++)
            {
                var pod = CriConfigs.Pod(s, $"stats-{p}");
                var podId = await PodLifecycle.RunPodAsync(e, pod, ct);
                _pods.Add(podId);
                for (var c = 0; c < 10; c++)
                {
                    await PodLifecycle.StartContainerAsync(e, podId, pod, CriConfigs.Container(s.Image!, $"c{c}", "sleep", "3600"), ct);
                }
            }
        }

        public async Task<IReadOnlyList<(string, double, string)>> SampleAsync(int index, CancellationToken ct)
        {
            var (stats, ms) = await Timed.ResultAndMsAsync(() => e.Runtime.ListContainerStatsAsync(new ListContainerStatsRequest(), cancellationToken: ct).ResponseAsync);
            if (stats.Stats.Count < Containers) throw new InvalidOperationException($"{e.Name} listed {stats.Stats.Count} stats, want {Containers}");
            if (index > 0 || e.DaemonPid is not { } pid) return [($"ListContainerStats x{Containers}", ms, "ms")];
            return [($"ListContainerStats x{Containers}", ms, "ms"), ("daemon CPU idle, 10 s stats poll", await IdleCpuPercentAsync(pid, ct), "%")];
        }

        /// <summary>The daemon's CPU (user + system) over 30 s in which the only work is a ListContainerStats every 10 s.</summary>
        private async Task<double> IdleCpuPercentAsync(int pid, CancellationToken ct)
        {
            var startTicks = ProcStatus.CpuTicks(pid);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var poll = 0; poll < 3; poll++)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), ct);
                await e.Runtime.ListContainerStatsAsync(new ListContainerStatsRequest(), cancellationToken: ct);
            }
            return (ProcStatus.CpuTicks(pid) - startTicks) / 100.0 / clock.Elapsed.TotalSeconds * 100;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var pod in _pods) await PodLifecycle.RemovePodAsync(e, pod, CancellationToken.None);
        }
    }
}
