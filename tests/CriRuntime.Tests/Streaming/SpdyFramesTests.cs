using System.Net;
using System.Net.Sockets;
using System.Text;
using CriRuntime.Streaming.Spdy;

namespace CriRuntime.Tests.Streaming;

public sealed class SpdyFramesTests
{
    [Fact]
    public void ControlHeader_WindowUpdate_SpecLayout()
    {
        var h = new byte[8];
        SpdyFrames.WriteControlHeader(h, SpdyFrames.WindowUpdate, 0, 8);
        Assert.Equal(new byte[] { 0x80, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x08 }, h);
        var parsed = SpdyFrames.ParseHeader(h);
        Assert.Equal(new SpdyFrameHeader(true, 9, 0, 0, 8), parsed);
    }

    [Fact]
    public void DataHeader_FinAndStreamId_SpecLayout()
    {
        var h = new byte[8];
        SpdyFrames.WriteDataHeader(h, 0x01020305, SpdyFrames.FlagFin, 0x0a0b0c);
        Assert.Equal(new byte[] { 0x01, 0x02, 0x03, 0x05, 0x01, 0x0a, 0x0b, 0x0c }, h);
        Assert.Equal(new SpdyFrameHeader(false, 0, 0x01020305, 1, 0x0a0b0c), SpdyFrames.ParseHeader(h));
    }

    [Fact]
    public void ParseHeader_Spdy2_Rejected()
    {
        Assert.Throws<SpdyProtocolException>(() => SpdyFrames.ParseHeader([0x80, 0x02, 0, 1, 0, 0, 0, 0]));
    }

    [Fact]
    public void HeaderBlock_RepeatedName_NulJoinedAndLowerCased()
    {
        var block = SpdyFrames.EncodeHeaderBlock([new("X-Stream-Protocol-Version", "v4.channel.k8s.io"), new("x-stream-protocol-version", "v3.channel.k8s.io")]);
        var expectedValue = "v4.channel.k8s.io\0v3.channel.k8s.io";
        Assert.Equal(4 + 4 + 25 + 4 + expectedValue.Length, block.Length);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 0, 0, 0, 25 }, block[..8]);
        Assert.Equal("x-stream-protocol-version", Encoding.ASCII.GetString(block, 8, 25));
        var decoded = SpdyFrames.DecodeHeaderBlock(block);
        Assert.Equal(["v4.channel.k8s.io", "v3.channel.k8s.io"], decoded.Select(d => d.Value));
    }

    [Fact]
    public void HeaderBlock_Truncated_Throws()
    {
        var block = SpdyFrames.EncodeHeaderBlock([new("streamtype", "stdin")]);
        Assert.Throws<SpdyProtocolException>(() => SpdyFrames.DecodeHeaderBlock(block[..^2]));
    }

    [Fact]
    public async Task Session_OpenStreamDataAndFin_BothSidesSeeIt()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var clientTcp = new TcpClient();
        await clientTcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var serverTcp = await listener.AcceptTcpClientAsync();
        await using var server = new SpdyConnection(serverTcp.GetStream(), isClient: false, TimeSpan.FromSeconds(30));
        await using var client = new SpdyConnection(clientTcp.GetStream(), isClient: true, TimeSpan.FromSeconds(30));
        var serverRun = server.RunAsync(CancellationToken.None);
        var clientRun = client.RunAsync(CancellationToken.None);

        var opened = await client.OpenStreamAsync([new("streamType", "stdin")], fin: false, CancellationToken.None);
        var accepted = await server.IncomingStreams.ReadAsync();
        Assert.Equal(1, accepted.Id);
        Assert.Equal("stdin", accepted.Header("streamtype"));
        await accepted.SendReplyAsync(CancellationToken.None);
        await opened.Reply.WaitAsync(TimeSpan.FromSeconds(5));

        var payload = new byte[200_000];
        Random.Shared.NextBytes(payload);
        var send = Task.Run(async () => { await opened.WriteAsync(payload); await opened.CloseWriteAsync(); });
        var received = new MemoryStream();
        await accepted.CopyToAsync(received);
        await send;
        Assert.Equal(payload, received.ToArray());

        await accepted.WriteAsync("reply"u8.ToArray());
        await accepted.CloseWriteAsync();
        var back = new MemoryStream();
        await opened.CopyToAsync(back);
        Assert.Equal("reply", Encoding.ASCII.GetString(back.ToArray()));
    }

    [Fact]
    public async Task Session_IdleTimeout_EndsSession()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var clientTcp = new TcpClient();
        await clientTcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var serverTcp = await listener.AcceptTcpClientAsync();
        await using var server = new SpdyConnection(serverTcp.GetStream(), isClient: false, TimeSpan.FromMilliseconds(300));
        await server.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(server.Closed.IsCancellationRequested);
    }
}
