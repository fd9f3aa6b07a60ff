using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CriRuntime.Telemetry;

/// <summary>The daemon's trace source and meter. Exporters are attached only when configured.</summary>
internal static class CriTelemetry
{
    public const string Name = "CriRuntime";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Histogram<double> RpcDuration = Meter.CreateHistogram<double>(
        "criruntime.rpc.duration", unit: "s", description: "Latency of CRI calls, by method",
        advice: new InstrumentAdvice<double>
        {
            // From 100 µs (Version, Status) to 2 min (a large pull).
            HistogramBucketBoundaries = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
        });

    public static readonly Counter<long> RpcErrors = Meter.CreateCounter<long>(
        "criruntime.rpc.errors", description: "CRI calls that ended with a status other than OK, by method and code");
}
