using System.Diagnostics;

namespace CriRuntime.Bench.Scenarios;

/// <summary>20 RunPodSandbox calls at once (a node taking a burst of pods): total time and each pod's latency.</summary>
internal sealed class ParallelPodsScenario : Scenario
{
    private const int Pods = 20;

    public override string Name => "parallel20";

    public override IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings) => new Run(endpoint, settings);

    private sealed class Run(CriEndpoint e, BenchSettings s) : IScenarioRun
    {
        public Task SetupAsync(CancellationToken ct) => Task.CompletedTask;

        public async Task<IReadOnlyList<(string, double, string)>> SampleAsync(int index, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            var pods = await Task.WhenAll(Enumerable.Range(0, Pods).Select(async i =>
                await Timed.ResultAndMsAsync(() => PodLifecycle.RunPodAsync(e, CriConfigs.Pod(s, $"burst-{index}-{i}"), ct))));
            var total = watch.Elapsed.TotalMilliseconds;
            await Task.WhenAll(pods.Select(p => PodLifecycle.RemovePodAsync(e, p.Result, ct)));
            var latencies = pods.Select(p => p.Ms).Order().ToArray();
            return [($"{Pods} pods in parallel: total", total, "ms"),
                    ($"{Pods} pods in parallel: pod p90", Figures.Percentile(latencies, 90), "ms")];
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
