namespace CriRuntime.Bench.Scenarios;

/// <summary>What a pod start costs kubelet from nothing: RunPodSandbox, then Create+Start of one container.</summary>
internal sealed class PodAndContainerScenario : Scenario
{
    public override string Name => "pod+container";

    public override string? MissingRequirement(BenchSettings settings) => settings.Image is null ? "--image" : null;

    public override IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings) => new Run(endpoint, settings);

    private sealed class Run(CriEndpoint e, BenchSettings s) : IScenarioRun
    {
        public Task SetupAsync(CancellationToken ct) => PodLifecycle.EnsureImageAsync(e, s.Image!, ct);

        public async Task<IReadOnlyList<(string, double, string)>> SampleAsync(int index, CancellationToken ct)
        {
            var pod = CriConfigs.Pod(s, $"scratch-{index}");
            string podId = "";
            var total = await Timed.MsAsync(async () =>
            {
                podId = await PodLifecycle.RunPodAsync(e, pod, ct);
                await PodLifecycle.StartContainerAsync(e, podId, pod, CriConfigs.Container(s.Image!, "app", "top"), ct);
            });
            await PodLifecycle.RemovePodAsync(e, podId, ct);
            return [("pod + container start", total, "ms")];
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
