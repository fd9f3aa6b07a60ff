namespace CriRuntime.Bench;

/// <summary>criruntime-bench SCENARIO [options]; each scenario prints a table of figures.</summary>
internal static class BenchCommand
{
    private const string Usage = """
        usage: criruntime-bench SCENARIO [options]

        scenarios:
          startup --binary PATH [--runs N]   time from process start to the socket answering Version, and idle RSS
          pull --binary PATH --registry HOST:PORT --image REPO:TAG --small REPO:TAG [--runs N] [--containerd-script PATH]
                                             cold pulls: time and peak RSS growth, beside containerd's when a script is given
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
            case "pull":
                await PullScenario.RunAsync(options.Require("binary"), options.Require("registry"), options.Require("image"),
                    options.Require("small"), options.Int("runs", 3), options.Optional("containerd-script"));
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

    public int Int(string key, int fallback) => _values.TryGetValue(key, out var v) ? int.Parse(v) : fallback;
}
