using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using CriRuntime.Errors;
using CriRuntime.Streaming;

namespace CriRuntime.Tests.Streaming;

public sealed class RemoteCommandTests
{
    [Fact]
    public void StatusV4_Success_KubeletBytes()
    {
        Assert.Equal("{\"metadata\":{},\"status\":\"Success\"}", Encoding.UTF8.GetString(RemoteCommandStatus.ToV4Json(new CommandOutcome(0))));
    }

    [Fact]
    public void StatusV4_NonZeroExit_ExitCodeCause()
    {
        var json = Encoding.UTF8.GetString(RemoteCommandStatus.ToV4Json(new CommandOutcome(42), ["sh", "-c", "exit 42"]));
        Assert.Equal("{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: error executing command [sh -c exit 42], exit code 42\"," +
                     "\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"42\"}]}}", json);
    }

    [Fact]
    public void StatusV4_Error_InternalError500()
    {
        var json = Encoding.UTF8.GetString(RemoteCommandStatus.ToV4Json(CommandOutcome.Failed("container not running")));
        Assert.Contains("\"reason\":\"InternalError\"", json);
        Assert.Contains("\"code\":500", json);
        Assert.Null(RemoteCommandStatus.ToLegacyText(new CommandOutcome(0)));
    }

    [Fact]
    public void ResizeDecoder_ConcatenatedAndPartial_OneAtATime()
    {
        var pending = new List<byte>(Encoding.UTF8.GetBytes("{\"Width\":80,\"Height\":24}\n{\"Width\":1"));
        Assert.True(ResizeDecoder.TryTake(pending, out var first));
        Assert.Equal(new TerminalSize(80, 24), first);
        Assert.False(ResizeDecoder.TryTake(pending, out _));
        pending.AddRange(Encoding.UTF8.GetBytes("20,\"Height\":40}"));
        Assert.True(ResizeDecoder.TryTake(pending, out var second));
        Assert.Equal(new TerminalSize(120, 40), second);
    }

    [Fact]
    public void Tokens_SingleUseExpiryAndCapacity()
    {
        var time = new ManualTime();
        var tokens = new StreamingTokens(time, TimeSpan.FromMinutes(1), capacity: 2);
        var a = tokens.Add("a");
        Assert.Equal(43, a.Length); // 256 bits, base64url without padding
        Assert.Equal("a", tokens.Take<string>(a));
        Assert.Null(tokens.Take<string>(a));
        var b = tokens.Add("b");
        tokens.Add("c");
        Assert.Throws<ResourceExhaustedException>(() => tokens.Add("d"));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Null(tokens.Take<string>(b));
        tokens.Add("e"); // expired entries make room
    }

    [Fact]
    public void Negotiate_ClientOrderFirstSupported()
    {
        Assert.Equal("v3.channel.k8s.io", StreamingServer.Negotiate(["v9.channel.k8s.io", "v3.channel.k8s.io", "v4.channel.k8s.io"], SpdyRemoteCommand.Protocols));
        Assert.Null(StreamingServer.Negotiate(["v9.channel.k8s.io"], SpdyRemoteCommand.Protocols));
    }

    [Fact]
    public async Task WebSocketChannels_PrefixRoutingAndV5Close()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var clientTcp = new TcpClient();
        await clientTcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var serverTcp = await listener.AcceptTcpClientAsync();
        using var serverWs = WebSocket.CreateFromStream(serverTcp.GetStream(), new WebSocketCreationOptions { IsServer = true });
        using var clientWs = WebSocket.CreateFromStream(clientTcp.GetStream(), new WebSocketCreationOptions { IsServer = false });
        var channels = new WebSocketChannels(serverWs, supportsClose: true);
        var stdin = channels.Readable(0);
        var run = channels.RunAsync(CancellationToken.None);

        await clientWs.SendAsync((byte[])[0, .. "ab"u8.ToArray()], WebSocketMessageType.Binary, true, CancellationToken.None);
        await clientWs.SendAsync((byte[])[7, .. "ignored"u8.ToArray()], WebSocketMessageType.Binary, true, CancellationToken.None);
        await clientWs.SendAsync(new byte[] { 255, 0 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var read = new MemoryStream();
        await stdin.CopyToAsync(read).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("ab", Encoding.ASCII.GetString(read.ToArray()));

        await channels.Writable(1).WriteAsync("out"u8.ToArray());
        var buffer = new byte[16];
        var r = await clientWs.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(new byte[] { 1, (byte)'o', (byte)'u', (byte)'t' }, buffer[..r.Count]);

        await clientWs.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await run.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;
        public void Advance(TimeSpan by) => _now += by;
        public override DateTimeOffset GetUtcNow() => _now;
    }
}
