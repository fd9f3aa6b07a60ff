using System.Diagnostics;

namespace CriRuntime.IntegrationTests.Harness;

/// <summary>Finds and starts the criruntime binary under test.</summary>
public static class DaemonProcess
{
    /// <summary>
    /// CRIRUNTIME_TEST_BINARY picks a binary (make test sets it to the Native AOT build that ships);
    /// otherwise the Debug/Release build of src/CriRuntime next to these tests is used.
    /// </summary>
    public static string BinaryPath { get; } = Locate();

    public static Process Start(IEnumerable<string> args, Action<string> onOutputLine, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // The daemon must not pick up the developer's CRIRUNTIME_* settings.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CRIRUNTIME_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) onOutputLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) onOutputLine(e.Data); };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    /// <summary>Runs the binary to completion (config, version, bad flags) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var output = new System.Text.StringBuilder();
        using var process = Start(args, line => { lock (output) output.AppendLine(line); });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        lock (output) return (process.ExitCode, output.ToString());
    }

    private static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("CRIRUNTIME_TEST_BINARY");
        if (!string.IsNullOrEmpty(fromEnv)) return Path.GetFullPath(fromEnv);

        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CriRuntime.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("cannot find the repository root (CriRuntime.sln) above " + AppContext.BaseDirectory);
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(dir.FullName, "src", "CriRuntime", "bin", configuration, "net10.0", "criruntime");
        return File.Exists(path) ? path : throw new FileNotFoundException("criruntime is not built; run make build", path);
    }
}
