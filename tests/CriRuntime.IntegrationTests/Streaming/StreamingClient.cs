using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using CriRuntime.Streaming.Spdy;

namespace CriRuntime.IntegrationTests.Streaming;

/// <summary>What a remotecommand client saw: stdout, stderr and the error stream's payload.</summary>
public sealed record ExecResult(string Stdout, string Stderr, string Error, int UpgradeStatus);

/// <summary>
/// A small kubectl-like client: SPDY/3.1 (HTTP/1.1 upgrade, then the session codec in client mode) and WebSocket
/// (channel.k8s.io framing). Each session is one connection, like kubectl's.
/// </summary>
public static class StreamingClient
{
    /// <summary>
    /// A shell command printing <c>size:ROWS COLS</c> once the terminal has a size. The size travels on its own
    /// stream, so it may land after the process started: it waits up to 5 s for it.
    /// </summary>
    public const string PrintSttySize =
        "i=0; while [ $i -lt 100 ]; do s=$(stty size 2>&1); case \"$s\" in [1-9]*' '[1-9]*) break;; esac; i=$((i+1)); sleep 0.05; done; echo \"size:$s\"";

    /// <summary>Upgrades to SPDY; returns the HTTP status and, on 101, the open session.</summary>
    internal static async Task<(int Status, string Head, SpdyConnection? Connection)> UpgradeSpdyAsync(string url, params string[] protocols)
    {
        var uri = new Uri(url);
        var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var request = new StringBuilder($"POST {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nContent-Length: 0\r\n");
        foreach (var p in protocols) request.Append($"X-Stream-Protocol-Version: {p}\r\n");
        request.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0) break;
            head.Append((char)one[0]);
        }
        var text = head.ToString();
        var status = text.Length > 12 ? int.Parse(text.AsSpan(9, 3)) : 0;
        if (status != 101)
        {
            tcp.Dispose();
            return (status, text, null);
        }
        return (status, text, new SpdyConnection(stream, isClient: true, Timeout.InfiniteTimeSpan));
    }

    internal static Task<SpdyStream> OpenAsync(SpdyConnection c, string type, bool fin = false, params (string, string)[] extra) =>
        c.OpenStreamAsync([new("streamType", type), .. extra.Select(e => new KeyValuePair<string, string>(e.Item1, e.Item2))], fin, CancellationToken.None);

    /// <summary>Exec over SPDY as kubectl does: error stream first, then stdin, stdout, stderr, resize.</summary>
    public static async Task<ExecResult> ExecSpdyAsync(string url, string? stdin, bool stderr, bool tty = false, (ushort W, ushort H)? size = null,
        string protocol = "v4.channel.k8s.io", Func<Stream, Task>? interact = null)
    {
        var (status, _, c) = await UpgradeSpdyAsync(url, protocol);
        if (c is null) return new ExecResult("", "", "", status);
        await using var _ = c;
        var reader = c.RunAsync(CancellationToken.None);
        var error = await OpenAsync(c, "error", fin: true);
        var input = stdin is null ? null : await OpenAsync(c, "stdin");
        var output = await OpenAsync(c, "stdout", fin: true);
        var errors = stderr ? await OpenAsync(c, "stderr", fin: true) : null;
        var resize = tty ? await OpenAsync(c, "resize") : null;
        if (resize is not null && size is { } s) await resize.WriteAsync(Encoding.UTF8.GetBytes($"{{\"Width\":{s.W},\"Height\":{s.H}}}\n"));
        if (input is not null)
        {
            if (interact is not null) await interact(input);
            await input.WriteAsync(Encoding.UTF8.GetBytes(stdin!));
            await input.CloseWriteAsync();
        }
        var outText = ReadAllAsync(output);
        var errText = errors is null ? Task.FromResult("") : ReadAllAsync(errors);
        var errorText = ReadAllAsync(error);
        return new ExecResult(await outText, await errText, await errorText, status);
    }

    public static async Task<string> ReadAllAsync(Stream s)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var buffer = new MemoryStream();
        await s.CopyToAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Exec over WebSocket with the given subprotocol; a terminal size goes first on the resize channel (4), then
    /// stdin is sent and half-closed (v5) or left open.
    /// </summary>
    public static async Task<ExecResult> ExecWebSocketAsync(string url, string protocol, string? stdin, (ushort W, ushort H)? size = null)
    {
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol(protocol);
        await ws.ConnectAsync(new Uri(url.Replace("http://", "ws://")), CancellationToken.None);
        if (size is { } s)
        {
            await ws.SendAsync((byte[])[4, .. Encoding.UTF8.GetBytes($"{{\"Width\":{s.W},\"Height\":{s.H}}}")], WebSocketMessageType.Binary, true, CancellationToken.None);
        }
        if (stdin is not null)
        {
            await ws.SendAsync((byte[])[0, .. Encoding.UTF8.GetBytes(stdin)], WebSocketMessageType.Binary, true, CancellationToken.None);
            if (protocol.StartsWith("v5", StringComparison.Ordinal)) await ws.SendAsync(new byte[] { 255, 0 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        }
        var channels = new Dictionary<byte, MemoryStream> { [1] = new(), [2] = new(), [3] = new() };
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var message = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, timeout.Token);
            if (r.MessageType == WebSocketMessageType.Close) break;
            message.Write(buffer, 0, r.Count);
            if (!r.EndOfMessage) continue;
            var m = message.ToArray();
            message.SetLength(0);
            if (m.Length > 0 && channels.TryGetValue(m[0], out var into)) into.Write(m, 1, m.Length - 1);
        }
        string Text(byte c) => Encoding.UTF8.GetString(channels[c].ToArray());
        return new ExecResult(Text(1), Text(2), Text(3), 101);
    }
}
