using System.Diagnostics;

namespace CriRuntime.Bench;

internal static class Timed
{
    public static async Task<(T Result, double Ms)> ResultAndMsAsync<T>(Func<Task<T>> action)
    {
        var watch = Stopwatch.StartNew();
        var result = await action();
        return (result, watch.Elapsed.TotalMilliseconds);
    }

    public static async Task<double> MsAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalMilliseconds;
    }
}
