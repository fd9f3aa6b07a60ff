namespace CriRuntime.Bench.Scenarios;

/// <summary>
/// Daemon RSS idle and after 50 pods with one container each; per-container overhead = (monitor processes' RSS +
/// daemon RSS growth) / containers. Then the same for 50 containers in one existing pod (what a container costs
/// once its pod exists). Monitors are conmon for CRI-O-style runtimes and containerd's shims.
/// </summary>
internal sealed class MemoryScenario : Scenario
{
    private const int Pods = 50;
    private static readonly string[] MonitorNames = ["conmon", "containerd-shim"];

    public override string Name => "memory";

    public override string? MissingRequirement(BenchSettings settings) => settings.Image is null ? "--image" : null;

    public override IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings) => new Run(endpoint, settings);

    private sealed class Run(CriEndpoint e, BenchSettings s) : IScenarioRun
    {
        private readonly List<string> _pods = [];

        public Task SetupAsync(CancellationToken ct) => PodLifecycle.EnsureImageAsync(e, s.Image!, ct);

        public async Task<IReadOnlyList<(string, double, string)>> SampleAsync(int index, CancellationToken ct)
        {
            var pid = e.DaemonPid ?? throw new InvalidOperationException($"cannot find the process serving {e.SocketPath}");
            await Task.Delay(1000, ct);
            var idle = ProcStatus.RssMiB(pid);
            var (monitorsBefore, _) = ProcStatus.ProcessesNamed(MonitorNames);
            for (var i = 0; i < Pods; i++)
            {
                var pod = CriConfigs.Pod(s, $"mem-{index}-{i}");
                var podId = await PodLifecycle.RunPodAsync(e, pod, ct);
                _pods.Add(podId);
                await PodLifecycle.StartContainerAsync(e, podId, pod, CriConfigs.Container(s.Image!, "app", "sleep", "3600"), ct);
            }
            await Task.Delay(2000, ct);
            var loaded = ProcStatus.RssMiB(pid);
            var (monitors, count) = ProcStatus.ProcessesNamed(MonitorNames);
            foreach (var pod in _pods) await PodLifecycle.RemovePodAsync(e, pod, ct);
            _pods.Clear();
            var inOnePod = await OverheadInOnePodAsync(index, pid, ct);
            return [("daemon RSS idle", idle, "MB"), ($"daemon RSS with {Pods} pods", loaded, "MB"),
                    ($"monitor processes ({count})", monitors - monitorsBefore, "MB"),
                    ("overhead per container", (loaded - idle + monitors - monitorsBefore) / Pods, "MB"),
                    ($"overhead per container, {Pods} in one pod", inOnePod, "MB")];
        }

        /// <summary>(daemon RSS growth + monitors' RSS growth) / containers, measured from a running pod.</summary>
        private async Task<double> OverheadInOnePodAsync(int index, int pid, CancellationToken ct)
        {
            var pod = CriConfigs.Pod(s, $"mem1-{index}");
            var podId = await PodLifecycle.RunPodAsync(e, pod, ct);
            _pods.Add(podId);
            await Task.Delay(1000, ct);
            var before = ProcStatus.RssMiB(pid);
            var (monitorsBefore, _) = ProcStatus.ProcessesNamed(MonitorNames);
            for (var i = 0; i < Pods; i++)
            {
                await PodLifecycle.StartContainerAsync(e, podId, pod, CriConfigs.Container(s.Image!, $"app{i}", "sleep", "3600"), ct);
            }
            await Task.Delay(2000, ct);
            var after = ProcStatus.RssMiB(pid);
            var (monitors, _) = ProcStatus.ProcessesNamed(MonitorNames);
            await PodLifecycle.RemovePodAsync(e, podId, ct);
            _pods.Clear();
            return (after - before + monitors - monitorsBefore) / Pods;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var pod in _pods) await PodLifecycle.RemovePodAsync(e, pod, CancellationToken.None);
        }
    }
}
