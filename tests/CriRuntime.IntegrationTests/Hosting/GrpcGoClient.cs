using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Hosting;

/// <summary>
/// Builds Hosting/GrpcGoClient/main.go with Debian's Go toolchain and grpc-go (golang-go, golang-google-grpc-dev,
/// installed by hack/install-deps.sh), offline: the most faithful stand-in for kubelet/crictl up to 1.30.
/// </summary>
public static class GrpcGoClient
{
    public static Task<string> BuildAsync(ITestOutputHelper output) =>
        GoProgram.BuildAsync(Path.Combine("Hosting", "GrpcGoClient", "main.go"), "golang-google-grpc-dev", output);
}
