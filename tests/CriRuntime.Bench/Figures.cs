namespace CriRuntime.Bench;

/// <summary>Median, p90 and max of a sample, printed as one table row.</summary>
internal static class Figures
{
    public static double Percentile(IReadOnlyList<double> samples, double p)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var rank = p / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static void PrintHeader() =>
        Console.WriteLine($"{"operation",-32} {"n",5} {"median",10} {"p90",10} {"max",10}");

    public static void PrintRow(string operation, IReadOnlyList<double> samples, string unit) =>
        Console.WriteLine($"{operation,-32} {samples.Count,5} {Percentile(samples, 50),8:F1}{unit,2} {Percentile(samples, 90),8:F1}{unit,2} {samples.Max(),8:F1}{unit,2}");
}
