// Why this exists
// ---------------
// Kubelet and crictl up to v1.30, and other grpc-go clients that dial a unix socket by its path, send the socket
// path as the HTTP/2 :authority ("/run/criruntime/criruntime.sock"). Kestrel validates :authority as a host, finds
// it invalid and resets every such stream with PROTOCOL_ERROR ("Invalid Host header"); it has no switch to relax
// that (dotnet/aspnetcore#47043). Kubernetes 1.31+ sends "localhost" and is unaffected.
//
// What it does
// ------------
// A Kestrel connection middleware on the CRI unix-socket endpoint only. It sits between the socket and Kestrel's
// HTTP/2 parser on the client → server direction (Http2AuthorityRewriter does the work, this file pumps bytes):
// - The preface and every frame other than HEADERS/CONTINUATION pass through byte for byte, as does the whole
//   server → client direction (Kestrel writes to the socket directly).
// - Every request header block (HEADERS + CONTINUATION up to END_HEADERS) is decoded with our HPACK decoder, whose
//   dynamic table mirrors the client's encoder: it is bounded by the SETTINGS_HEADER_TABLE_SIZE Kestrel advertises
//   and follows the client's table size updates. Decoding every block, rewritten or not, keeps the mirror exact.
// - A block whose :authority (or host) is a valid host is forwarded as its original frames, untouched.
// - A block whose :authority is not a valid host (a path) gets "localhost" and is re-encoded with every field as
//   "literal without indexing", so Kestrel's decoder table never changes, split into HEADERS + CONTINUATION frames
//   no larger than Kestrel's SETTINGS_MAX_FRAME_SIZE (padding is dropped, priority and END_STREAM are kept). After
//   the first rewrite every later block of that connection is re-encoded the same way: Kestrel's table missed the
//   client's insertions, so the client's indexed references can only be resolved by our mirror.
// - Malformed HTTP/2 or HPACK from a client (bad frame sizes, a HEADERS cut short, a CONTINUATION out of place,
//   a bad Huffman string, a table size update above the limit, a header block over 256 KiB encoded or decoded)
//   aborts that one connection and is logged; the daemon and its other connections carry on. Input that does not
//   start with the HTTP/2 preface is passed through for Kestrel to refuse.
// The cost is one extra copy of the request bytes through a pipe and an HPACK decode per request.

using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CriRuntime.Hosting.Http2;

/// <summary>Serves HTTP/2 clients that send a unix socket path as :authority; see the comment at the top of this file.</summary>
internal sealed partial class AuthorityRewriteMiddleware(ConnectionDelegate next, Http2Limits limits, ILogger logger)
{
    /// <summary>Kestrel refuses request headers above 32 KiB by default; a block this large, encoded or decoded, is abuse.</summary>
    private const int MaxHeaderBlockSize = 256 * 1024;

    public static Func<ConnectionDelegate, ConnectionDelegate> Create(Http2Limits limits, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger<AuthorityRewriteMiddleware>();
        return next => new AuthorityRewriteMiddleware(next, limits, logger).OnConnectionAsync;
    }

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        var socket = connection.Transport;
        var toKestrel = new Pipe(new PipeOptions(useSynchronizationContext: false));
        connection.Transport = new DuplexPipe(toKestrel.Reader, socket.Output);
        var pump = PumpAsync(connection, socket.Input, toKestrel.Writer);
        try
        {
            await next(connection);
        }
        finally
        {
            socket.Input.CancelPendingRead();
            await pump;
            connection.Transport = socket;
        }
    }

    private async Task PumpAsync(ConnectionContext connection, PipeReader input, PipeWriter output)
    {
        var rewriter = new Http2AuthorityRewriter(limits.HeaderTableSize, limits.MaxFrameSize, MaxHeaderBlockSize);
        try
        {
            while (true)
            {
                var read = await input.ReadAsync();
                if (read.IsCanceled) break;
                var consumed = rewriter.Process(read.Buffer, output);
                input.AdvanceTo(consumed, read.Buffer.End);
                var flush = await output.FlushAsync();
                if (read.IsCompleted || flush.IsCompleted || flush.IsCanceled) break;
            }
            if (rewriter.RewrittenBlocks > 0) LogRewritten(logger, connection.ConnectionId, rewriter.RewrittenBlocks);
        }
        catch (Http2ProtocolException e)
        {
            LogMalformed(logger, connection.ConnectionId, e.Message);
            connection.Abort(new ConnectionAbortedException("malformed HTTP/2 from the client: " + e.Message));
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ConnectionAbortedException or InvalidOperationException)
        {
            // The socket went away or Kestrel is done with the connection; Kestrel reports its own side.
        }
        await output.CompleteAsync();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "closing connection {ConnectionId}: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 41, Level = LogLevel.Debug, Message = "connection {ConnectionId}: rewrote :authority in {Blocks} header blocks")]
    private static partial void LogRewritten(ILogger logger, string connectionId, int blocks);
}
