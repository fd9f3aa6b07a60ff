namespace CriRuntime.Bench;

/// <summary>Runs scenarios against one or two endpoints, alternating samples so both see the same machine noise.</summary>
internal static class Runner
{
    public static async Task<List<ScenarioResult>> RunAsync(IReadOnlyList<Scenario> scenarios, IReadOnlyList<CriEndpoint> endpoints,
        BenchSettings settings, CancellationToken ct)
    {
        var results = new List<ScenarioResult>();
        foreach (var scenario in scenarios)
        {
            Console.Error.WriteLine($"-- {scenario.Name}: setup");
            var runs = endpoints.Select(e => (Endpoint: e, Run: scenario.Start(e, settings))).ToList();
            var measured = endpoints.ToDictionary(e => e.Name, _ => new Dictionary<string, Measurement>());
            try
            {
                foreach (var (_, run) in runs) await run.SetupAsync(ct);
                var warmup = scenario.Name is "memory" or "stats100" ? 0 : settings.Warmup;
                var samples = scenario.Name == "memory" ? 1 : settings.Samples;
                for (var i = 0; i < warmup + samples; i++)
                {
                    // Alternate which runtime goes first, so neither always runs on a warmer cache.
                    var order = i % 2 == 0 ? runs : Enumerable.Reverse(runs).ToList();
                    foreach (var (endpoint, run) in order)
                    {
                        var figures = await run.SampleAsync(i, ct);
                        if (i < warmup) continue;
                        foreach (var (op, value, unit) in figures)
                        {
                            var byOp = measured[endpoint.Name];
                            if (!byOp.TryGetValue(op, out var m)) byOp[op] = m = new Measurement(op, unit, []);
                            m.Samples.Add(value);
                        }
                    }
                }
            }
            finally
            {
                foreach (var (_, run) in runs) await run.DisposeAsync();
            }
            results.Add(new ScenarioResult(scenario.Name, measured.ToDictionary(kv => kv.Key, kv => kv.Value.Values.ToList())));
        }
        return results;
    }
}

/// <summary>A scenario's measurements per endpoint name.</summary>
internal sealed record ScenarioResult(string Scenario, Dictionary<string, List<Measurement>> ByEndpoint);
