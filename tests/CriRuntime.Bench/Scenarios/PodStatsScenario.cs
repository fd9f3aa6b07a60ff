using CriRuntime.Api.V1;

namespace CriRuntime.Bench.Scenarios;

/// <summary>
/// ListPodSandboxStats and ListPodSandboxMetrics with 100 ready pods (kubelet polls pod stats every 10 s): pod
/// cgroup and netns counters of every pod per call, no process spawned.
/// </summary>
internal sealed class PodStatsScenario : Scenario
{
    private const int Pods = 100;

    public override string Name => "podstats100";

    public override IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings) => new Run(endpoint, settings);

    private sealed class Run(CriEndpoint e, BenchSettings s) : IScenarioRun
    {
        private readonly List<string> _pods = [];

        public async Task SetupAsync(CancellationToken ct)
        {
            for (var p = 0; p < Pods; p++) _pods.Add(await PodLifecycle.RunPodAsync(e, CriConfigs.Pod(s, $"podstats-{p}"), ct));
        }

        public async Task<IReadOnlyList<(string, double, string)>> SampleAsync(int index, CancellationToken ct)
        {
            var (stats, statsMs) = await Timed.ResultAndMsAsync(() => e.Runtime.ListPodSandboxStatsAsync(new ListPodSandboxStatsRequest(), cancellationToken: ct).ResponseAsync);
            if (stats.Stats.Count < Pods) throw new InvalidOperationException($"{e.Name} listed {stats.Stats.Count} pod stats, want {Pods}");
            var (_, metricsMs) = await Timed.ResultAndMsAsync(() => e.Runtime.ListPodSandboxMetricsAsync(new ListPodSandboxMetricsRequest(), cancellationToken: ct).ResponseAsync);
            return [($"ListPodSandboxStats x{Pods}", statsMs, "ms"), ($"ListPodSandboxMetrics x{Pods}", metricsMs, "ms")];
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var pod in _pods) await PodLifecycle.RemovePodAsync(e, pod, CancellationToken.None);
        }
    }
}
