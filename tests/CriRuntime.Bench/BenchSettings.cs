namespace CriRuntime.Bench;

/// <summary>Command-line settings shared by all scenarios.</summary>
internal sealed record BenchSettings
{
    public required string Endpoint { get; init; }
    public string? CompareEndpoint { get; init; }
    public int Samples { get; init; } = 20;
    public int Warmup { get; init; } = 3;
    public string? Image { get; init; }
    public string? LargeImage { get; init; }
    public string? JsonPath { get; init; }
    public string WorkDir { get; init; } = "/tmp/criruntime-bench";
    public IReadOnlyList<string> Scenarios { get; init; } = [];

    /// <summary>A unique suffix so names never collide with a previous run's leftovers.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..8];
}
