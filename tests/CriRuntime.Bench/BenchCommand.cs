namespace CriRuntime.Bench;

/// <summary>criruntime-bench SCENARIO [options]; each scenario prints a table of figures.</summary>
internal static class BenchCommand
{
    private const string Usage = """
        usage: criruntime-bench SCENARIO [options]

        scenarios:
          startup --binary PATH [--runs N]   time from process start to the socket answering Version, and idle RSS
          pods --binary PATH --pause PATH --conflist PATH [--pods N] [--handler runc] [--runtime-path PATH]
                                             RunPodSandbox / StopPodSandbox / RemovePodSandbox median and p90
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var options = Options.Parse(args.Skip(1));
        switch (args[0])
        {
            case "startup":
                await StartupScenario.RunAsync(options.Require("binary"), options.Int("runs", 10));
                return 0;
            case "pods":
                await PodsScenario.RunAsync(options.Require("binary"), options.Require("pause"), options.Require("conflist"),
                    options.Int("pods", 50), options.String("handler", "runc"), options.Optional("runtime-path"));
                return 0;
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }
}

internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new();

    public static Options Parse(IEnumerable<string> args)
    {
        var o = new Options();
        string? key = null;
        foreach (var a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal)) { key = a[2..]; o._values[key] = "true"; }
            else if (key is not null) { o._values[key] = a; key = null; }
        }
        return o;
    }

    public string Require(string key) =>
        _values.TryGetValue(key, out var v) ? v : throw new ArgumentException($"--{key} is required");

    public string? Optional(string key) => _values.GetValueOrDefault(key);

    public string String(string key, string fallback) => _values.TryGetValue(key, out var v) ? v : fallback;

    public int Int(string key, int fallback) => _values.TryGetValue(key, out var v) ? int.Parse(v) : fallback;
}
