using System.Buffers;
using CriRuntime.Hosting.Http2;

namespace CriRuntime.Tests.Hosting.Http2;

public sealed class Http2AuthorityRewriterTests
{
    private const int MaxFrameSize = 16384;
    private const string SocketPath = "/run/criruntime/criruntime.sock";

    private static HeaderField[] Request(string authority, string path = "/runtime.v1.RuntimeService/Version") =>
    [
        new(":method", "POST"), new(":scheme", "http"), new(":path", path), new(":authority", authority),
        new("content-type", "application/grpc"), new("user-agent", "grpc-go/1.33.3"), new("te", "trailers"),
    ];

    [Fact]
    public void Process_ValidAuthority_PassesEveryByteThrough()
    {
        var client = new ClientStream();
        client.Settings();
        client.Headers(1, Request("localhost"));
        client.Data(1, [0, 0, 0, 0, 0]);
        client.Headers(3, Request("localhost"));   // indexed references into the client's table
        client.Raw(0x8, 0, 0, [0, 0, 0, 1]);   // WINDOW_UPDATE

        var (output, rewriter) = Run(client.ToArray());

        Assert.Equal(client.ToArray(), output);
        Assert.Equal(0, rewriter.RewrittenBlocks);
    }

    [Fact]
    public void Process_SocketPathAuthority_KestrelSeesLocalhostAndItsTableStaysEmpty()
    {
        var client = new ClientStream();
        client.Settings();
        client.Headers(1, Request(SocketPath));
        client.Data(1, [0, 0, 0, 0, 0]);

        var (output, rewriter) = Run(client.ToArray());

        var kestrel = new KestrelView(output);
        Assert.Equal(Request("localhost"), kestrel.Blocks.Single().Fields);
        Assert.Equal(0, kestrel.Decoder.Table.Count);
        Assert.Equal(1, rewriter.RewrittenBlocks);
        Assert.Equal([Http2Frame.TypeSettings, Http2Frame.TypeHeaders, Http2Frame.TypeData], kestrel.Frames.Select(f => f.Frame.Type));
        Assert.Equal([0, 0, 0, 0, 0], kestrel.Frames[2].Payload);
    }

    [Fact]
    public void Process_ManyBlocksWithClientTableAndEviction_KestrelDecodesEveryOne()
    {
        // A small client table forces evictions; mixed authorities switch the connection to re-encoding.
        var client = new ClientStream(tableSize: 256);
        var sent = new List<HeaderField[]>();
        for (var i = 0; i < 300; i++)
        {
            var fields = Request(i % 7 == 3 ? SocketPath : "localhost", $"/runtime.v1.RuntimeService/M{i % 11}");
            sent.Add(fields.Select(f => f.Name == ":authority" ? f with { Value = "localhost" } : f).ToArray());
            client.Headers(2 * i + 1, fields);
        }

        var (output, _) = Run(client.ToArray(), headerTableSize: 256);

        var kestrel = new KestrelView(output);
        Assert.Equal(sent.Count, kestrel.Blocks.Count);
        for (var i = 0; i < sent.Count; i++) Assert.Equal(sent[i], kestrel.Blocks[i].Fields);
    }

    [Fact]
    public void Process_LargeRewrittenBlock_IsSplitIntoContinuationFramesWithinMaxFrameSize()
    {
        var big = string.Concat(Enumerable.Range(0, 12000).Select(i => (char)('!' + i * 7 % 90)));
        var fields = Request(SocketPath).Append(new HeaderField("x-big", big)).Append(new HeaderField("x-big2", big + big)).ToArray();
        var client = new ClientStream(huffman: false);
        client.Headers(5, fields, endStream: true);

        var (output, _) = Run(client.ToArray());

        var kestrel = new KestrelView(output);
        var frames = kestrel.Frames;
        Assert.Equal(Http2Frame.TypeHeaders, frames[0].Frame.Type);
        Assert.True(frames[0].Frame.Has(Http2Frame.FlagEndStream));
        Assert.All(frames.Skip(1), f => Assert.Equal(Http2Frame.TypeContinuation, f.Frame.Type));
        Assert.All(frames, f => Assert.Equal(5, f.Frame.StreamId));
        Assert.All(frames, f => Assert.True(f.Frame.Length <= MaxFrameSize));
        Assert.Equal(frames.Count - 1, frames.FindIndex(f => f.Frame.Has(Http2Frame.FlagEndHeaders)));
        Assert.True(frames.Count >= 3, $"{frames.Count} frames");
        Assert.Equal(fields.Select(f => f.Name == ":authority" ? f with { Value = "localhost" } : f), kestrel.Blocks.Single().Fields);
    }

    [Fact]
    public void Process_PaddedHeadersWithPriorityAndContinuation_KeepsPriorityDropsPadding()
    {
        var encoder = new HpackEncoder();
        var block = new ArrayBufferWriter<byte>();
        encoder.WriteIndexed(Request(SocketPath), block);
        var split = block.WrittenCount / 2;
        byte[] priority = [0x80, 0, 0, 1, 200];
        var payload = new byte[] { 3 }.Concat(priority).Concat(block.WrittenSpan[..split].ToArray()).Concat(new byte[3]).ToArray();
        var client = new ClientStream();
        client.Raw(Http2Frame.TypeHeaders, Http2Frame.FlagPadded | Http2Frame.FlagPriority | Http2Frame.FlagEndStream, 7, payload);
        client.Raw(Http2Frame.TypeContinuation, Http2Frame.FlagEndHeaders, 7, block.WrittenSpan[split..].ToArray());

        var (output, _) = Run(client.ToArray());

        var kestrel = new KestrelView(output);
        var headers = Assert.Single(kestrel.Frames);
        Assert.Equal(Http2Frame.FlagPriority | Http2Frame.FlagEndStream | Http2Frame.FlagEndHeaders, headers.Frame.Flags);
        Assert.Equal(priority, headers.Payload[..5]);
        Assert.Equal(Request("localhost"), kestrel.Blocks.Single().Fields);
    }

    [Fact]
    public void Process_InputArrivingOneOctetAtATime_GivesTheSameOutput()
    {
        var client = new ClientStream();
        client.Settings();
        client.Headers(1, Request(SocketPath));
        client.Data(1, [0, 0, 0, 0, 0]);
        client.Headers(3, Request(SocketPath));
        var input = client.ToArray();

        var rewriter = new Http2AuthorityRewriter(4096, MaxFrameSize, 65536);
        var output = new ArrayBufferWriter<byte>();
        var pending = new List<byte>();
        foreach (var octet in input)
        {
            pending.Add(octet);
            var sequence = new ReadOnlySequence<byte>(pending.ToArray());
            var consumed = rewriter.Process(sequence, output);
            pending.RemoveRange(0, (int)sequence.Slice(0, consumed).Length);
        }

        Assert.Empty(pending);
        Assert.Equal(Run(input).Output, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Process_NotHttp2_PassesThroughUntouched()
    {
        var input = "GET / HTTP/1.1\r\nHost: /tmp/x.sock\r\n\r\n"u8.ToArray();
        var output = new ArrayBufferWriter<byte>();
        new Http2AuthorityRewriter(4096, MaxFrameSize, 65536).Process(new ReadOnlySequence<byte>(input), output);
        Assert.Equal(input, output.WrittenSpan.ToArray());
    }

    public static TheoryData<string, string> MalformedInputs => new()
    {
        { "continuation-without-headers", "CONTINUATION without HEADERS" },
        { "data-inside-header-block", "expected CONTINUATION" },
        { "continuation-other-stream", "expected CONTINUATION" },
        { "frame-too-large", "exceeds SETTINGS_MAX_FRAME_SIZE" },
        { "padding-too-long", "exceed the frame" },
        { "headers-stream-0", "stream 0" },
        { "truncated-block", "longer than the header block" },
        { "bad-huffman", "Huffman" },
        { "oversized-table-update", "exceeds the limit" },
    };

    [Theory]
    [MemberData(nameof(MalformedInputs))]
    public void Process_MalformedInput_ThrowsProtocolError(string kind, string message)
    {
        var client = new ClientStream();
        var end = Http2Frame.FlagEndHeaders;
        switch (kind)
        {
            case "continuation-without-headers": client.Raw(Http2Frame.TypeContinuation, end, 1, [0x82]); break;
            case "data-inside-header-block": client.Raw(Http2Frame.TypeHeaders, 0, 1, [0x82]); client.Data(1, [0]); break;
            case "continuation-other-stream":
                client.Raw(Http2Frame.TypeHeaders, 0, 1, [0x82]);
                client.Raw(Http2Frame.TypeContinuation, end, 3, [0x86]);
                break;
            case "frame-too-large": client.Raw(Http2Frame.TypeData, 0, 1, new byte[MaxFrameSize + 1]); break;
            case "padding-too-long": client.Raw(Http2Frame.TypeHeaders, end | Http2Frame.FlagPadded, 1, [9, 0x82]); break;
            case "headers-stream-0": client.Raw(Http2Frame.TypeHeaders, end, 0, [0x82]); break;
            case "truncated-block": client.Raw(Http2Frame.TypeHeaders, end, 1, [0x82, 0x41, 0x0f, 0x2f, 0x74]); break;
            case "bad-huffman": client.Raw(Http2Frame.TypeHeaders, end, 1, [0x82, 0x41, 0x81, 0x00]); break;
            case "oversized-table-update": client.Raw(Http2Frame.TypeHeaders, end, 1, [0x3f, 0xe2, 0x1f, 0x82]); break;
        }

        var e = Assert.Throws<Http2ProtocolException>(() => Run(client.ToArray()));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("localhost", true)]
    [InlineData("localhost:10010", true)]
    [InlineData("127.0.0.1:80", true)]
    [InlineData("[::1]:443", true)]
    [InlineData("my-host.example_1", true)]
    [InlineData("", true)]
    [InlineData("/run/criruntime/criruntime.sock", false)]
    [InlineData("unix:///tmp/x.sock", false)]
    [InlineData("%2Ftmp%2Fx.sock", false)]
    [InlineData("host:port", false)]
    [InlineData("host:123456", false)]
    [InlineData("[::1", false)]
    [InlineData(":80", false)]
    public void IsValidHost_AcceptsHostsRejectsPathsAndOddities(string host, bool valid) =>
        Assert.Equal(valid, Http2AuthorityRewriter.IsValidHost(host));

    private static (byte[] Output, Http2AuthorityRewriter Rewriter) Run(byte[] input, int headerTableSize = 4096)
    {
        var rewriter = new Http2AuthorityRewriter(headerTableSize, MaxFrameSize, 256 * 1024);
        var output = new ArrayBufferWriter<byte>();
        var sequence = new ReadOnlySequence<byte>(input);
        var consumed = rewriter.Process(sequence, output);
        Assert.Equal(input.Length, sequence.Slice(0, consumed).Length);
        return (output.WrittenSpan.ToArray(), rewriter);
    }
}
