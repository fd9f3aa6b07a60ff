using System.Text.Json;

namespace CriRuntime.Bench;

/// <summary>Prints results as a table (median, p90, max per endpoint, and the ratio ours/peer) and as JSON.</summary>
internal static class Report
{
    public static void PrintTable(IReadOnlyList<ScenarioResult> results, IReadOnlyList<CriEndpoint> endpoints, MachineInfo machine,
        IReadOnlyDictionary<string, string> versions)
    {
        Console.WriteLine($"machine: {machine}");
        foreach (var e in endpoints) Console.WriteLine($"{e.Name}: {versions[e.Name]} at {e.SocketPath}");
        Console.WriteLine();
        var header = $"{"operation",-36} {"n",4}";
        foreach (var e in endpoints) header += $" | {e.Name + " median",18} {"p90",9} {"max",9}";
        if (endpoints.Count == 2) header += $" | {"ratio",6}";
        Console.WriteLine(header);
        Console.WriteLine(new string('-', header.Length));
        foreach (var result in results)
        {
            var ops = result.ByEndpoint[endpoints[0].Name].Select(m => m.Operation);
            foreach (var op in ops)
            {
                var row = new List<Measurement>();
                foreach (var e in endpoints)
                {
                    var m = result.ByEndpoint[e.Name].FirstOrDefault(x => x.Operation == op);
                    if (m is not null) row.Add(m);
                }
                var line = $"{Trim(op),-36} {row[0].Samples.Count,4}";
                foreach (var m in row)
                {
                    line += $" | {Format(Figures.Percentile(m.Samples, 50), m.Unit),18} {Format(Figures.Percentile(m.Samples, 90), m.Unit),9} {Format(m.Samples.Max(), m.Unit),9}";
                }
                if (row.Count == 2)
                {
                    line += $" | {Figures.Percentile(row[0].Samples, 50) / Figures.Percentile(row[1].Samples, 50),5:F2}x";
                }
                Console.WriteLine(line);
            }
        }
        if (endpoints.Count == 2)
        {
            Console.WriteLine($"\nratio = {endpoints[0].Name} median / {endpoints[1].Name} median (below 1: {endpoints[0].Name} is faster or smaller)");
        }
    }

    public static void WriteJson(string path, IReadOnlyList<ScenarioResult> results, MachineInfo machine, IReadOnlyDictionary<string, string> versions)
    {
        var doc = new
        {
            machine,
            runtimes = versions,
            results = results.SelectMany(r => r.ByEndpoint.SelectMany(kv => kv.Value.Select(m => new
            {
                scenario = r.Scenario,
                runtime = kv.Key,
                operation = m.Operation,
                unit = m.Unit,
                n = m.Samples.Count,
                median = Figures.Percentile(m.Samples, 50),
                p90 = Figures.Percentile(m.Samples, 90),
                max = m.Samples.Max(),
                samples = m.Samples,
            }))),
        };
        var json = JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true });
        if (path == "-") Console.WriteLine(json);
        else File.WriteAllText(path, json);
    }

    private static string Trim(string s) => s.Length <= 36 ? s : s[..35] + "…";

    private static string Format(double value, string unit) => $"{value:F1}{unit}";
}
