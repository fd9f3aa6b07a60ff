using System.Diagnostics;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Hosting;

/// <summary>
/// Builds Hosting/GrpcGoClient/main.go with Debian's Go toolchain and grpc-go (golang-go, golang-google-grpc-dev,
/// installed by hack/install-deps.sh), offline: the most faithful stand-in for kubelet/crictl up to 1.30.
/// </summary>
public static class GrpcGoClient
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _binary;

    public static async Task<string> BuildAsync(ITestOutputHelper output)
    {
        await Gate.WaitAsync();
        try
        {
            if (_binary is not null) return _binary;
            var source = Path.Combine(AppContext.BaseDirectory, "Hosting", "GrpcGoClient", "main.go");
            var dir = Directory.CreateTempSubdirectory("criruntime-grpcgo-").FullName;
            var binary = Path.Combine(dir, "grpcgo-client");
            var info = new ProcessStartInfo("go", ["build", "-o", binary, source])
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
            output.WriteLine($"go build: exit {process.ExitCode} {log}");
            if (process.ExitCode != 0) throw new InvalidOperationException($"go build failed (hack/install-deps.sh installs golang-google-grpc-dev):\n{log}");
            return _binary = binary;
        }
        finally
        {
            Gate.Release();
        }
    }
}
