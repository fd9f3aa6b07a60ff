using CriRuntime.Api.V1;

namespace CriRuntime.Bench.Scenarios;

/// <summary>Create, Start, Status, Stop, Remove of one container per sample, in one pod made at setup.</summary>
internal sealed class ContainerScenario : Scenario
{
    public override string Name => "container";

    public override string? MissingRequirement(BenchSettings settings) => settings.Image is null ? "--image" : null;

    public override IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings) => new Run(endpoint, settings);

    private sealed class Run(CriEndpoint e, BenchSettings s) : IScenarioRun
    {
        private PodSandboxConfig _pod = null!;
        private string _podId = "";

        public async Task SetupAsync(CancellationToken ct)
        {
            await PodLifecycle.EnsureImageAsync(e, s.Image!, ct);
            _pod = CriConfigs.Pod(s, "containers");
            _podId = await PodLifecycle.RunPodAsync(e, _pod, ct);
        }

        public async Task<IReadOnlyList<(string, double, string)>> SampleAsync(int index, CancellationToken ct)
        {
            var config = CriConfigs.Container(s.Image!, $"c{index}", "top");
            var (created, create) = await Timed.ResultAndMsAsync(() => e.Runtime.CreateContainerAsync(new CreateContainerRequest
            {
                PodSandboxId = _podId,
                Config = config,
                SandboxConfig = _pod,
            }, cancellationToken: ct).ResponseAsync);
            var id = created.ContainerId;
            var start = await Timed.MsAsync(() => e.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: ct).ResponseAsync);
            var status = await Timed.MsAsync(() => e.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id }, cancellationToken: ct).ResponseAsync);
            var stop = await Timed.MsAsync(() => e.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 10 }, cancellationToken: ct).ResponseAsync);
            var remove = await Timed.MsAsync(() => e.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id }, cancellationToken: ct).ResponseAsync);
            return [("CreateContainer", create, "ms"), ("StartContainer", start, "ms"), ("Create+Start", create + start, "ms"),
                    ("ContainerStatus", status, "ms"), ("StopContainer", stop, "ms"), ("RemoveContainer", remove, "ms")];
        }

        public async ValueTask DisposeAsync()
        {
            if (_podId.Length > 0) await PodLifecycle.RemovePodAsync(e, _podId, CancellationToken.None);
        }
    }
}
