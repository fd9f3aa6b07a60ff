using CriRuntime.IntegrationTests.Harness;
using CriRuntime.Api.V1;
using Grpc.Net.Client;

namespace CriRuntime.Bench;

/// <summary>A CRI runtime under measurement: a name for the report and clients on its unix socket.</summary>
internal sealed class CriEndpoint : IDisposable
{
    private readonly GrpcChannel _channel;

    public CriEndpoint(string name, string endpoint)
    {
        Name = name;
        SocketPath = endpoint.StartsWith("unix://", StringComparison.Ordinal) ? endpoint["unix://".Length..] : endpoint;
        _channel = UnixChannel.Create(SocketPath);
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);
    }

    /// <summary>The runtime's own name (from Version) once <see cref="DescribeAsync"/> ran; reports label columns with it.</summary>
    public string Name { get; private set; }
    public string SocketPath { get; }
    public RuntimeService.RuntimeServiceClient Runtime { get; }
    public ImageService.ImageServiceClient Images { get; }

    /// <summary>The process serving the socket, found through the socket's inode (for RSS figures).</summary>
    public int? DaemonPid => SocketOwner.FindListeningPid(SocketPath);

    public async Task<string> DescribeAsync(string? avoidName = null)
    {
        var v = await Runtime.VersionAsync(new VersionRequest());
        Name = v.RuntimeName == avoidName ? v.RuntimeName + "-peer" : v.RuntimeName;
        return $"{v.RuntimeName} {v.RuntimeVersion}";
    }

    public void Dispose() => _channel.Dispose();
}
