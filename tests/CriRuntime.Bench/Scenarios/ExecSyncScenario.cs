using CriRuntime.Api.V1;

namespace CriRuntime.Bench.Scenarios;

/// <summary>ExecSync of `true` in a running container (what liveness probes cost).</summary>
internal sealed class ExecSyncScenario : Scenario
{
    public override string Name => "execsync";

    public override string? MissingRequirement(BenchSettings settings) => settings.Image is null ? "--image" : null;

    public override IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings) => new Run(endpoint, settings);

    private sealed class Run(CriEndpoint e, BenchSettings s) : IScenarioRun
    {
        private string _podId = "";
        private string _containerId = "";

        public async Task SetupAsync(CancellationToken ct)
        {
            await PodLifecycle.EnsureImageAsync(e, s.Image!, ct);
            var pod = CriConfigs.Pod(s, "execsync");
            _podId = await PodLifecycle.RunPodAsync(e, pod, ct);
            _containerId = await PodLifecycle.StartContainerAsync(e, _podId, pod, CriConfigs.Container(s.Image!, "target", "sleep", "3600"), ct);
        }

        public async Task<IReadOnlyList<(string, double, string)>> SampleAsync(int index, CancellationToken ct)
        {
            var (response, ms) = await Timed.ResultAndMsAsync(() => e.Runtime.ExecSyncAsync(new ExecSyncRequest
            {
                ContainerId = _containerId,
                Cmd = { "true" },
                Timeout = 10,
            }, cancellationToken: ct).ResponseAsync);
            if (response.ExitCode != 0) throw new InvalidOperationException($"`true` exited {response.ExitCode} on {e.Name}");
            return [("ExecSync true", ms, "ms")];
        }

        public async ValueTask DisposeAsync()
        {
            if (_podId.Length > 0) await PodLifecycle.RemovePodAsync(e, _podId, CancellationToken.None);
        }
    }
}
