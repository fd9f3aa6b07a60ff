using CriRuntime.Api.V1;

namespace CriRuntime.Bench.Scenarios;

/// <summary>
/// A cold pull per sample (the image is removed first), and the daemon's peak RSS growth during it
/// (VmHWM after the pull minus VmRSS before, with the high-water mark reset through clear_refs).
/// </summary>
internal sealed class PullScenario(string name, Func<BenchSettings, string?> image) : Scenario
{
    public override string Name => name;

    public override string? MissingRequirement(BenchSettings settings) =>
        image(settings) is null ? (name == "pull-large" ? "--large-image" : "--image") : null;

    public override IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings) => new Run(endpoint, image(settings)!);

    private sealed class Run(CriEndpoint e, string image) : IScenarioRun
    {
        public Task SetupAsync(CancellationToken ct) => Task.CompletedTask;

        public async Task<IReadOnlyList<(string, double, string)>> SampleAsync(int index, CancellationToken ct)
        {
            var spec = new ImageSpec { Image = image };
            await e.Images.RemoveImageAsync(new RemoveImageRequest { Image = spec }, cancellationToken: ct);
            var pid = e.DaemonPid;
            double before = 0;
            if (pid is { } p)
            {
                File.WriteAllText($"/proc/{p}/clear_refs", "5");
                before = ProcStatus.RssMiB(p);
            }
            var ms = await Timed.MsAsync(() => e.Images.PullImageAsync(new PullImageRequest { Image = spec }, cancellationToken: ct).ResponseAsync);
            var figures = new List<(string, double, string)> { ($"PullImage {Short(image)}", ms, "ms") };
            if (pid is { } q)
            {
                figures.Add(($"peak RSS growth {Short(image)}", ProcStatus.PeakRssMiB(q) - before, "MB"));
            }
            return figures;
        }

        private static string Short(string reference) => reference[(reference.LastIndexOf('/') + 1)..];

        public async ValueTask DisposeAsync() =>
            await e.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = image } });
    }
}
