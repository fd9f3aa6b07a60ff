using System.Net.Sockets;
using CriRuntime.Linux;
using CriRuntime.Runtime;

namespace CriRuntime.Streaming;

/// <summary>Connects a client's streams to a running container's stdio.</summary>
internal interface IAttachBackend
{
    Task<CommandOutcome> AttachAsync(AttachSpec spec, RemoteCommandStreams streams, CancellationToken cancellationToken);
}

/// <summary>
/// Attach through the monitor's attach socket (conmon: SOCK_SEQPACKET; every packet it sends starts with a byte
/// naming the pipe, 2 stdout, 3 stderr; what we send goes to the container's stdin; resize goes through the monitor).
/// The session ends when the container's output ends (it exited), when the client's stdin ends (the container keeps
/// running, unless it was created stdin_once, in which case its stdin closes and we wait for its output to end), or
/// when the client goes away. Ending a session never stops the container: detaching is just closing our socket.
/// </summary>
internal sealed class MonitorAttachBackend(IContainerMonitor monitor) : IAttachBackend
{
    /// <summary>conmon reads stdin from the socket in reads of this size; a larger packet would be truncated.</summary>
    private const int MaxPacket = 8192;
    private const byte PipeStdout = 2, PipeStderr = 3;

    public async Task<CommandOutcome> AttachAsync(AttachSpec spec, RemoteCommandStreams streams, CancellationToken cancellationToken)
    {
        Socket socket;
        try
        {
            socket = await PacketSocket.ConnectAsync(spec.AttachSocketPath, cancellationToken);
        }
        catch (SocketException e)
        {
            return CommandOutcome.Failed($"attach to container {spec.ContainerId}: cannot connect to the monitor's attach socket: {e.Message}");
        }
        using var _ = socket;
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var output = CopyOutputAsync(socket, streams, session.Token);
        var input = streams.Stdin is null ? Task.Delay(Timeout.Infinite, session.Token) : CopyInputAsync(socket, streams.Stdin, session.Token);
        var resize = streams.Resize is null ? Task.CompletedTask : ResizeAsync(spec, streams.Resize, session.Token);
        var first = await Task.WhenAny(output, input);
        if (first == input && !cancellationToken.IsCancellationRequested && spec.StdinOnce)
        {
            // The monitor closes the container's stdin when we shut our side down; its output ends when it exits.
            await output;
        }
        await session.CancelAsync();
        await Task.WhenAll(output.ContinueWith(_ => { }, TaskScheduler.Default), input.ContinueWith(_ => { }, TaskScheduler.Default), resize.ContinueWith(_ => { }, TaskScheduler.Default));
        cancellationToken.ThrowIfCancellationRequested();
        return new CommandOutcome(0);
    }

    private static async Task CopyOutputAsync(Socket socket, RemoteCommandStreams streams, CancellationToken token)
    {
        var buffer = new byte[MaxPacket + 1];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
            {
                var target = buffer[0] switch
                {
                    PipeStdout => streams.Stdout,
                    // A TTY merges stderr into stdout; without one a client that did not ask for stderr does not get it.
                    PipeStderr => streams.Stderr,
                    _ => null,
                };
                if (target is not null && n > 1) await target.WriteAsync(buffer.AsMemory(1, n - 1), token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static async Task CopyInputAsync(Socket socket, Stream stdin, CancellationToken token)
    {
        var buffer = new byte[MaxPacket];
        try
        {
            int n;
            while ((n = await stdin.ReadAsync(buffer, token)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, token);
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task ResizeAsync(AttachSpec spec, System.Threading.Channels.ChannelReader<TerminalSize> sizes, CancellationToken token)
    {
        try
        {
            await foreach (var size in sizes.ReadAllAsync(token))
            {
                await monitor.ResizeTerminalAsync(spec.ContainerId, spec.BundleDir, size.Width, size.Height, token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Errors.CriException)
        {
        }
    }
}
