using System.Net.Sockets;
using Grpc.Net.Client;

namespace CriRuntime.IntegrationTests.Harness;

/// <summary>A gRPC channel over a unix socket, as Kubernetes 1.31+ clients dial it (":authority" localhost).</summary>
public static class UnixChannel
{
    public static GrpcChannel Create(string socketPath) =>
        GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            },
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
}
