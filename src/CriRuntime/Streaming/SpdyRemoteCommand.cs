using System.Threading.Channels;
using CriRuntime.Streaming.Spdy;

namespace CriRuntime.Streaming;

/// <summary>
/// The remotecommand protocol over SPDY, as kubelet serves it (pkg/kubelet/cri/streaming/remotecommand): the
/// client opens one stream per stdio channel, named by its <c>streamType</c> header; we answer each with
/// SYN_REPLY, wait for all the expected ones, run the command, then write the outcome on the error stream and
/// close everything.
/// </summary>
internal static class SpdyRemoteCommand
{
    public const string V4 = "v4.channel.k8s.io", V3 = "v3.channel.k8s.io", V2 = "v2.channel.k8s.io", V1 = "channel.k8s.io";
    public static readonly string[] Protocols = [V4, V3, V2, V1];

    /// <summary>kubelet's streamCreationTimeout default.</summary>
    public static readonly TimeSpan StreamCreationTimeout = TimeSpan.FromSeconds(30);

    public static async Task ServeAsync(SpdyConnection connection, string protocol, bool tty, bool stdin, bool stdout, bool stderr,
        Func<RemoteCommandStreams, CancellationToken, Task<CommandOutcome>> run, IReadOnlyList<string>? command, CancellationToken cancellationToken)
    {
        var expected = new HashSet<string> { "error" };
        if (stdin) expected.Add("stdin");
        if (stdout) expected.Add("stdout");
        // v1 clients open stderr even with a TTY; v2+ do not, since a TTY merges it into stdout.
        if (stderr && (!tty || protocol == V1)) expected.Add("stderr");
        if (tty && protocol is V3 or V4) expected.Add("resize");

        var streams = await CollectStreamsAsync(connection, expected, cancellationToken);
        if (streams is null) return;
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Closed);
        var resize = streams.TryGetValue("resize", out var r) ? ResizeDecoder.Start(r, session.Token) : null;
        var io = new RemoteCommandStreams(streams.GetValueOrDefault("stdin"), streams.GetValueOrDefault("stdout"), streams.GetValueOrDefault("stderr"), resize);
        CommandOutcome outcome;
        try
        {
            outcome = await run(io, session.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            outcome = CommandOutcome.Failed("stream idle timeout or connection closed; the process was killed");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = CommandOutcome.Failed(e.Message);
        }
        var error = streams["error"];
        var status = protocol == V4 ? RemoteCommandStatus.ToV4Json(outcome, command) : RemoteCommandStatus.ToLegacyText(outcome);
        try
        {
            using var finish = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (status is not null) await error.WriteAsync(status, finish.Token);
            foreach (var s in streams.Values) await s.CloseWriteAsync(finish.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static async Task<Dictionary<string, SpdyStream>?> CollectStreamsAsync(SpdyConnection connection, HashSet<string> expected, CancellationToken cancellationToken)
    {
        var streams = new Dictionary<string, SpdyStream>(StringComparer.Ordinal);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Closed);
        timeout.CancelAfter(StreamCreationTimeout);
        try
        {
            while (!expected.IsSubsetOf(streams.Keys))
            {
                var stream = await connection.IncomingStreams.ReadAsync(timeout.Token);
                var type = stream.Header("streamtype");
                if (type is null || streams.ContainsKey(type) || type is not ("error" or "stdin" or "stdout" or "stderr" or "resize"))
                {
                    await stream.ResetAsync(SpdyFrames.RstProtocolError);
                    continue;
                }
                await stream.SendReplyAsync(timeout.Token);
                streams[type] = stream;
            }
            return streams;
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException or IOException)
        {
            return null;
        }
    }
}
