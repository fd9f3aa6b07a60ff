using System.Net.Sockets;

namespace CriRuntime.Streaming;

/// <summary>Runs a command in a container with the client's streams attached; returns its exit code.</summary>
internal interface IExecBackend
{
    Task<CommandOutcome> ExecAsync(ExecSpec spec, RemoteCommandStreams streams, CancellationToken cancellationToken);
}

/// <summary>Opens a TCP connection to a port on the loopback of a network namespace.</summary>
internal interface IPortDialer
{
    Task<Socket> DialAsync(string networkNamespacePath, int port, CancellationToken cancellationToken);
}
