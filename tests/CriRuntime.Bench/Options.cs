namespace CriRuntime.Bench;

internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new();
    private readonly List<string> _positional = [];

    public static Options Parse(IEnumerable<string> args)
    {
        var o = new Options();
        using var it = args.GetEnumerator();
        while (it.MoveNext())
        {
            var a = it.Current;
            if (!a.StartsWith("--", StringComparison.Ordinal)) { o._positional.Add(a); continue; }
            o._values[a[2..]] = it.MoveNext() ? it.Current : throw new ArgumentException($"{a} needs a value");
        }
        return o;
    }

    public static BenchSettings ToSettings(string[] args)
    {
        var o = Parse(args);
        return new BenchSettings
        {
            Endpoint = o.Require("endpoint"),
            CompareEndpoint = o.Get("compare"),
            Samples = o.Int("samples", 20),
            Warmup = o.Int("warmup", 3),
            Image = o.Get("image"),
            LargeImage = o.Get("large-image"),
            JsonPath = o.Get("json"),
            WorkDir = o.Get("workdir") ?? "/tmp/criruntime-bench",
            Scenarios = o._positional,
        };
    }

    public string? Get(string key) => _values.GetValueOrDefault(key);

    public string Require(string key) =>
        _values.TryGetValue(key, out var v) ? v : throw new ArgumentException($"--{key} is required");

    public int Int(string key, int fallback) => _values.TryGetValue(key, out var v) ? int.Parse(v) : fallback;
}
