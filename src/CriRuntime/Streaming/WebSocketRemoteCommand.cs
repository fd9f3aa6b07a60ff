using System.Net.WebSockets;

namespace CriRuntime.Streaming;

/// <summary>
/// remotecommand over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io, channel.k8s.io): channels 0 stdin,
/// 1 stdout, 2 stderr, 3 error, 4 resize; v5 clients half-close stdin with <c>[255, 0]</c>.
/// </summary>
internal static class WebSocketRemoteCommand
{
    public const string V5 = "v5.channel.k8s.io", V4 = "v4.channel.k8s.io", V1 = "channel.k8s.io";
    public static readonly string[] Protocols = [V5, V4, V1];
    public const byte Stdin = 0, Stdout = 1, Stderr = 2, Error = 3, Resize = 4;

    public static async Task ServeAsync(WebSocket socket, string protocol, bool tty, bool stdin, bool stdout, bool stderr,
        Func<RemoteCommandStreams, CancellationToken, Task<CommandOutcome>> run, IReadOnlyList<string>? command, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var idle = new IdleWatch(idleTimeout, session);
        var channels = new WebSocketChannels(socket, protocol == V5, idle);
        var input = stdin ? channels.Readable(Stdin) : null;
        var resizeStream = tty && protocol != V1 ? channels.Readable(Resize) : null;
        // Not the session token: cancelling a WebSocket receive aborts the socket, and we still want to close it cleanly.
        var reader = channels.RunAsync(cancellationToken);
        // The client going away ends the session (and with it the process and every copy task).
        _ = reader.ContinueWith(_ => { if (socket.State != WebSocketState.Open) CancelQuietly(session); }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        var resize = resizeStream is null ? null : ResizeDecoder.Start(resizeStream, session.Token);
        var io = new RemoteCommandStreams(input, stdout ? channels.Writable(Stdout) : null, stderr && !tty ? channels.Writable(Stderr) : null, resize);
        CommandOutcome outcome;
        try
        {
            outcome = await run(io, session.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Idle timeout or the client went away: the process is already killed; say so if anyone listens.
            outcome = CommandOutcome.Failed("stream idle timeout or connection closed; the process was killed");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = CommandOutcome.Failed(e.Message);
        }
        try
        {
            using var finish = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var status = protocol == V1 ? RemoteCommandStatus.ToLegacyText(outcome) : RemoteCommandStatus.ToV4Json(outcome, command);
            if (status is not null) await channels.SendAsync(Error, status, finish.Token);
            await channels.CloseAsync(finish.Token);
            await reader.WaitAsync(finish.Token);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or TimeoutException)
        {
        }
        finally
        {
            await session.CancelAsync();
            if (!reader.IsCompleted) socket.Abort();
            await reader;
        }
    }

    /// <summary>The reader can finish after the session is over and its source disposed.</summary>
    internal static void CancelQuietly(CancellationTokenSource session)
    {
        try
        {
            session.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
