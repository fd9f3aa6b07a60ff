using System.Diagnostics;
using CriRuntime.Api.V1;
using CriRuntime.Hosting.Http2;
using CriRuntime.IntegrationTests.Harness;
using Google.Protobuf;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Hosting;

/// <summary>
/// Kubelet and crictl up to 1.30 (grpc-go dialing a socket path) send the path as :authority; Kestrel alone resets
/// those streams with PROTOCOL_ERROR. These tests drive the daemon as such clients do: grpc-go itself, and a raw
/// HTTP/2 client. (HttpClient cannot stand in: SocketsHttpHandler drops a Host header that is not a valid host and
/// sends :authority localhost.)
/// </summary>
public sealed class AuthorityRewriteTests(ITestOutputHelper output)
{
    private const string Version = "/runtime.v1.RuntimeService/Version";
    private const string Status = "/runtime.v1.RuntimeService/Status";
    private const string Events = "/runtime.v1.RuntimeService/GetContainerEvents";

    [Fact]
    public async Task SocketPathAuthority_ManyUnaryCallsOnOneConnection_AllAnswered()
    {
        await using var daemon = await CriDaemon.StartAsync(output);
        await using var client = await RawHttp2Client.ConnectAsync(daemon.Socket);

        for (var i = 0; i < 250; i++)
        {
            var method = i % 5 == 4 ? Status : Version;
            var result = await client.CallAsync(daemon.Socket, method, []);

            Assert.True(result.GrpcStatus == 0, $"call {i}: {result}");
            var message = Assert.Single(result.Messages);
            if (method == Version) Assert.Equal("criruntime", VersionResponse.Parser.ParseFrom(message).RuntimeName);
            else Assert.True(StatusResponse.Parser.ParseFrom(message).Status.Conditions.Count > 0);
        }
        Assert.True(client.EncoderTableEntries > 0, "the client's HPACK table was not used");
    }

    [Fact]
    public async Task SocketPathAuthority_GetContainerEventsStream_ReachesTheService()
    {
        await using var daemon = await CriDaemon.StartAsync(output);
        await using var client = await RawHttp2Client.ConnectAsync(daemon.Socket);
        await client.CallAsync(daemon.Socket, Version, []);

        var result = await client.CallAsync(daemon.Socket, Events, new GetEventsRequest().ToByteArray(), untilHeaders: true);

        // Not a PROTOCOL_ERROR reset: the service accepted the subscription and the stream stays open.
        Assert.Null(result.ResetCode);
        Assert.Equal("200", result.HttpStatus);
        Assert.Null(result.GrpcStatus);
        var version = await client.CallAsync(daemon.Socket, Version, []);
        Assert.Equal(0, version.GrpcStatus);
    }

    [Fact]
    public async Task GrpcGoClient_SocketPathAuthority_UnaryAndStreamingCallsWork()
    {
        var binary = await GrpcGoClient.BuildAsync(output);
        await using var daemon = await CriDaemon.StartAsync(output);

        var (exitCode, text) = await Run(binary, daemon.Socket, "250");

        Assert.True(exitCode == 0, text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var version = lines.Single(l => l.StartsWith("version ", StringComparison.Ordinal)).Split(' ');
        Assert.Equal(["version", "OK", "250"], version[..3]);
        Assert.Equal("criruntime", VersionResponse.Parser.ParseFrom(Convert.FromBase64String(version[3])).RuntimeName);
        var events = lines.Single(l => l.StartsWith("events ", StringComparison.Ordinal));
        Assert.Equal("events subscribed", events);
    }

    [Fact]
    public async Task LocalhostClients_AreUnaffected()
    {
        await using var daemon = await CriDaemon.StartAsync(output);
        await using var raw = await RawHttp2Client.ConnectAsync(daemon.Socket);
        await using var pathClient = await RawHttp2Client.ConnectAsync(daemon.Socket);

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal("criruntime", (await daemon.Runtime.VersionAsync(new VersionRequest())).RuntimeName);
            Assert.Equal(0, (await raw.CallAsync("localhost", Version, [])).GrpcStatus);
            Assert.Equal(0, (await pathClient.CallAsync(daemon.Socket, Version, [])).GrpcStatus);
        }
        Assert.DoesNotContain("Invalid Host header", daemon.Log);
    }

    public static TheoryData<string> MalformedKinds => new()
    {
        "garbage-instead-of-preface", "garbage-after-preface", "truncated-headers-frame", "truncated-header-block",
        "bad-huffman", "oversized-table-update",
    };

    [Theory]
    [MemberData(nameof(MalformedKinds))]
    public async Task MalformedHttp2_ClosesThatConnectionOnly(string kind)
    {
        await using var daemon = await CriDaemon.StartAsync(output);
        await using var good = await RawHttp2Client.ConnectAsync(daemon.Socket);
        Assert.Equal(0, (await good.CallAsync(daemon.Socket, Version, [])).GrpcStatus);

        await using var bad = await RawHttp2Client.ConnectAsync(daemon.Socket, sendPreface: kind != "garbage-instead-of-preface");
        switch (kind)
        {
            case "garbage-instead-of-preface":
            case "garbage-after-preface":
                await bad.SendAsync(Enumerable.Range(0, 256).Select(i => (byte)(i * 37 + 11)).ToArray());
                break;
            case "truncated-headers-frame":
                // A HEADERS frame announcing 64 octets, 3 sent, then the client is gone.
                await bad.SendAsync([0, 0, 64, Http2Frame.TypeHeaders, Http2Frame.FlagEndHeaders, 0, 0, 0, 1, 0x82, 0x86, 0x84]);
                bad.ShutdownSend();
                break;
            case "truncated-header-block":
                await bad.SendHeadersAsync([0x83, 0x86, 0x41, 0x1f, 0x2f, 0x74]);   // :authority literal cut short
                break;
            case "bad-huffman":
                await bad.SendHeadersAsync([0x83, 0x86, 0x41, 0x82, 0x00, 0x00]);   // Huffman with zero padding
                break;
            case "oversized-table-update":
                await bad.SendHeadersAsync([0x3f, 0xe2, 0x7f, 0x83, 0x86]);   // size update to 16385 > 4096
                break;
        }

        Assert.True(await bad.IsClosedByServerAsync(TimeSpan.FromSeconds(10)), "the malformed connection stayed open");
        Assert.Equal(0, (await good.CallAsync(daemon.Socket, Version, [])).GrpcStatus);
        await using var fresh = await RawHttp2Client.ConnectAsync(daemon.Socket);
        Assert.Equal(0, (await fresh.CallAsync(daemon.Socket, Version, [])).GrpcStatus);
        Assert.Equal("criruntime", (await daemon.Runtime.VersionAsync(new VersionRequest())).RuntimeName);
    }

    private static async Task<(int ExitCode, string Output)> Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
