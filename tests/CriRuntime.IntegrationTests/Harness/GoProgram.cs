using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests;

/// <summary>
/// Builds a test client written in Go with Debian's toolchain and Go libraries (GOPATH /usr/share/gocode, installed
/// by hack/install-deps.sh), offline, once per test run: the clients kubelet and crictl are made of.
/// </summary>
public static class GoProgram
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly ConcurrentDictionary<string, string> Built = new(StringComparer.Ordinal);

    /// <summary>Builds <paramref name="source"/> (relative to the test output dir); returns the binary's path.</summary>
    public static async Task<string> BuildAsync(string source, string debianPackage, ITestOutputHelper? output = null)
    {
        await Gate.WaitAsync();
        try
        {
            if (Built.TryGetValue(source, out var done)) return done;
            var dir = Directory.CreateTempSubdirectory("criruntime-go-").FullName;
            var binary = Path.Combine(dir, Path.GetFileName(Path.GetDirectoryName(source)!));
            var info = new ProcessStartInfo("go", ["build", "-o", binary, Path.Combine(AppContext.BaseDirectory, source)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment =
                {
                    ["GO111MODULE"] = "off",
                    ["GOPATH"] = "/usr/share/gocode",
                    ["GOCACHE"] = "/tmp/criruntime-test-gocache",
                    ["GOFLAGS"] = "",
                    ["GOPROXY"] = "off",
                },
            };
            using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot run go (golang-go)");
            var log = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            output?.WriteLine($"go build {source}: exit {process.ExitCode} {log}");
            if (process.ExitCode != 0) throw new InvalidOperationException($"go build {source} failed (hack/install-deps.sh installs {debianPackage}):\n{log}");
            Built[source] = binary;
            return binary;
        }
        finally
        {
            Gate.Release();
        }
    }
}
