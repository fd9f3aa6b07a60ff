using CriRuntime.Api.V1;

namespace CriRuntime.Bench.Scenarios;

/// <summary>RunPodSandbox, PodSandboxStatus, StopPodSandbox, RemovePodSandbox of one pod per sample.</summary>
internal sealed class PodScenario : Scenario
{
    public override string Name => "pod";

    public override IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings) => new Run(endpoint, settings);

    private sealed class Run(CriEndpoint e, BenchSettings s) : IScenarioRun
    {
        public Task SetupAsync(CancellationToken ct) => Task.CompletedTask;

        public async Task<IReadOnlyList<(string, double, string)>> SampleAsync(int index, CancellationToken ct)
        {
            var config = CriConfigs.Pod(s, $"pod-{index}");
            var (id, run) = await Timed.ResultAndMsAsync(() => PodLifecycle.RunPodAsync(e, config, ct));
            var status = await Timed.MsAsync(() => e.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id }, cancellationToken: ct).ResponseAsync);
            var stop = await Timed.MsAsync(() => e.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id }, cancellationToken: ct).ResponseAsync);
            var remove = await Timed.MsAsync(() => e.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id }, cancellationToken: ct).ResponseAsync);
            return [("RunPodSandbox", run, "ms"), ("PodSandboxStatus", status, "ms"), ("StopPodSandbox", stop, "ms"), ("RemovePodSandbox", remove, "ms")];
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
