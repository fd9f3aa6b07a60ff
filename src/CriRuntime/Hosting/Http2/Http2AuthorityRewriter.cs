using System.Buffers;

namespace CriRuntime.Hosting.Http2;

/// <summary>
/// The client → server half of one HTTP/2 connection as a pure transform: frames in, frames for Kestrel out.
/// Every header block is decoded (so the HPACK table mirrors the client's encoder); a block whose
/// <c>:authority</c> or <c>host</c> is not a valid host gets <c>localhost</c> instead. See
/// <see cref="AuthorityRewriteMiddleware"/> for why and for the invariants.
/// </summary>
internal sealed class Http2AuthorityRewriter(int headerTableSize, int maxFrameSize, int maxHeaderBlockSize)
{
    public const string Replacement = "localhost";

    private readonly HpackDecoder _decoder = new(headerTableSize, maxHeaderBlockSize);
    private readonly ArrayBufferWriter<byte> _rawFrames = new();
    private readonly ArrayBufferWriter<byte> _block = new();
    private readonly ArrayBufferWriter<byte> _encoded = new();
    private readonly byte[] _priority = new byte[5];
    private int _priorityLength;
    private int _blockStream;
    private byte _blockFlags;
    private bool _inBlock;
    private bool _prefaceSeen;
    private bool _opaque;

    /// <summary>
    /// True once a block was rewritten. From then on every block is re-encoded, because Kestrel's table no longer
    /// matches the client's and the client's indexed references would resolve to the wrong entries.
    /// </summary>
    public bool Rewriting { get; private set; }

    public int RewrittenBlocks { get; private set; }

    /// <summary>
    /// Handles every whole frame in <paramref name="input"/> and returns the position up to which it was consumed;
    /// an incomplete frame stays unconsumed. Throws <see cref="Http2ProtocolException"/> on malformed input.
    /// </summary>
    public SequencePosition Process(ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        if (_opaque) return CopyAll(input, output);
        var reader = new SequenceReader<byte>(input);
        if (!_prefaceSeen)
        {
            var length = (int)Math.Min(input.Length, Http2Frame.Preface.Length);
            Span<byte> head = stackalloc byte[Http2Frame.Preface.Length];
            input.Slice(0, length).CopyTo(head);
            if (!head[..length].SequenceEqual(Http2Frame.Preface[..length]))
            {
                // Not prior-knowledge HTTP/2: nothing to rewrite; Kestrel answers it as it sees fit.
                _opaque = true;
                return CopyAll(input, output);
            }
            if (length < Http2Frame.Preface.Length) return input.Start;
            output.Write(Http2Frame.Preface);
            reader.Advance(length);
            _prefaceSeen = true;
        }

        Span<byte> header = stackalloc byte[Http2Frame.HeaderLength];
        while (reader.TryCopyTo(header))
        {
            var frame = Http2Frame.Read(header);
            if (frame.Length > maxFrameSize)
            {
                throw new Http2ProtocolException($"frame of {frame.Length} octets exceeds SETTINGS_MAX_FRAME_SIZE {maxFrameSize}");
            }
            if (reader.Remaining < Http2Frame.HeaderLength + frame.Length) break;
            var bytes = reader.UnreadSequence.Slice(0, Http2Frame.HeaderLength + frame.Length);
            if (_inBlock || frame.Type is Http2Frame.TypeHeaders or Http2Frame.TypeContinuation)
            {
                OnHeaderFrame(frame, bytes, output);
            }
            else
            {
                foreach (var segment in bytes) output.Write(segment.Span);
            }
            reader.Advance(bytes.Length);
        }
        return reader.Position;
    }

    private void OnHeaderFrame(Http2Frame frame, ReadOnlySequence<byte> bytes, IBufferWriter<byte> output)
    {
        var payload = bytes.Slice(Http2Frame.HeaderLength).ToArray().AsSpan();
        if (_inBlock)
        {
            // RFC 7540 §6.10: nothing but CONTINUATION frames of the same stream may follow until END_HEADERS.
            if (frame.Type != Http2Frame.TypeContinuation || frame.StreamId != _blockStream)
            {
                throw new Http2ProtocolException($"expected CONTINUATION on stream {_blockStream}, got frame type {frame.Type} on stream {frame.StreamId}");
            }
            _block.Write(payload);
        }
        else
        {
            if (frame.Type == Http2Frame.TypeContinuation) throw new Http2ProtocolException("CONTINUATION without HEADERS");
            if (frame.StreamId == 0) throw new Http2ProtocolException("HEADERS on stream 0");
            _block.Write(Fragment(frame, payload));
            _inBlock = true;
            _blockStream = frame.StreamId;
            _blockFlags = frame.Flags;
        }
        foreach (var segment in bytes) _rawFrames.Write(segment.Span);
        if (_block.WrittenCount > maxHeaderBlockSize)
        {
            throw new Http2ProtocolException($"header block larger than {maxHeaderBlockSize} octets");
        }
        if (frame.Has(Http2Frame.FlagEndHeaders)) CompleteBlock(output);
    }

    /// <summary>RFC 7540 §6.2: strips the pad length, priority fields and padding off a HEADERS payload.</summary>
    private Span<byte> Fragment(Http2Frame frame, Span<byte> payload)
    {
        int start = 0, padding = 0;
        if (frame.Has(Http2Frame.FlagPadded))
        {
            if (payload.Length < 1) throw new Http2ProtocolException("HEADERS too short for its pad length");
            padding = payload[0];
            start = 1;
        }
        _priorityLength = frame.Has(Http2Frame.FlagPriority) ? 5 : 0;
        if (start + _priorityLength + padding > payload.Length)
        {
            throw new Http2ProtocolException("HEADERS padding and priority exceed the frame");
        }
        payload.Slice(start, _priorityLength).CopyTo(_priority);
        return payload[(start + _priorityLength)..(payload.Length - padding)];
    }

    private void CompleteBlock(IBufferWriter<byte> output)
    {
        var fields = _decoder.Decode(_block.WrittenSpan);
        for (var i = 0; i < fields.Count; i++)
        {
            if (fields[i].Name is ":authority" or "host" && !IsValidHost(fields[i].Value))
            {
                fields[i] = fields[i] with { Value = Replacement };
                Rewriting = true;
            }
        }
        if (Rewriting)
        {
            foreach (var field in fields) HpackEncoder.WriteLiteralWithoutIndexing(_encoded, field);
            Http2FrameWriter.WriteHeaderBlock(output, _blockStream, _blockFlags, _priority.AsSpan(0, _priorityLength),
                _encoded.WrittenSpan, maxFrameSize);
            RewrittenBlocks++;
        }
        else
        {
            output.Write(_rawFrames.WrittenSpan);
        }
        _rawFrames.ResetWrittenCount();
        _block.ResetWrittenCount();
        _encoded.ResetWrittenCount();
        _inBlock = false;
    }

    /// <summary>
    /// A host Kestrel accepts: reg-name characters or an IP literal in brackets, then an optional port. Stricter
    /// than RFC 3986 on purpose: rewriting a strange but valid host to localhost costs nothing for gRPC.
    /// </summary>
    internal static bool IsValidHost(string host)
    {
        if (host.Length == 0) return true;
        var i = 0;
        if (host[0] == '[')
        {
            var close = host.IndexOf(']');
            if (close < 2) return false;
            for (i = 1; i < close; i++)
            {
                if (!char.IsAsciiHexDigit(host[i]) && host[i] is not (':' or '.')) return false;
            }
            i = close + 1;
        }
        else
        {
            while (i < host.Length && (char.IsAsciiLetterOrDigit(host[i]) || host[i] is '-' or '.' or '_' or '~')) i++;
            if (i == 0) return false;
        }
        if (i == host.Length) return true;
        if (host[i] != ':') return false;
        var port = host.AsSpan(i + 1);
        return port.Length is > 0 and <= 5 && !port.ContainsAnyExceptInRange('0', '9');
    }

    private static SequencePosition CopyAll(ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        foreach (var segment in input) output.Write(segment.Span);
        return input.End;
    }
}
