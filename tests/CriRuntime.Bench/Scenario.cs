namespace CriRuntime.Bench;

/// <summary>One measured operation's samples, in <see cref="Unit"/>.</summary>
internal sealed record Measurement(string Operation, string Unit, List<double> Samples);

/// <summary>
/// A benchmark scenario. The runner creates one <see cref="IScenarioRun"/> per endpoint and alternates samples
/// between endpoints, so a noisy machine affects both equally.
/// </summary>
internal abstract class Scenario
{
    public abstract string Name { get; }

    /// <summary>What the scenario needs that not every run has (an image), checked before anything starts.</summary>
    public virtual string? MissingRequirement(BenchSettings settings) => null;

    public abstract IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings);
}

internal interface IScenarioRun : IAsyncDisposable
{
    Task SetupAsync(CancellationToken ct);

    /// <summary>One sample: the duration (ms) of each operation it timed, or other figures with their units.</summary>
    Task<IReadOnlyList<(string Operation, double Value, string Unit)>> SampleAsync(int index, CancellationToken ct);
}
