using System.Text;

namespace CriRuntime.Storage;

/// <summary>
/// A pass-through stream that watches the tar bytes TarReader reads and keeps each entry's pax
/// "SCHILY.xattr.*" values as raw bytes. TarReader decodes pax values as UTF-8, which destroys binary xattrs
/// such as security.capability (file capabilities, e.g. ping's cap_net_raw); this recovers them.
/// Entries are counted as TarReader yields them ('x', 'L' and 'K' headers belong to the entry that follows;
/// 'g' is an entry of its own). Each entry also records its header name, so the unpacker applies raw values only
/// when that name matches TarReader's: if the two ever disagreed, no xattr is attached to the wrong file.
/// </summary>
internal sealed class PaxXattrTap(Stream inner) : Stream
{
    private const string XattrPrefix = "SCHILY.xattr.";
    private const int Block = 512;

    private readonly List<(string Name, Dictionary<string, byte[]> Xattrs)> _entries = [];
    private readonly byte[] _header = new byte[Block];
    private int _headerFill;
    private long _skip;                  // data and padding bytes still to pass over
    private MemoryStream? _capture;      // the content of an 'x' or 'L' entry being read
    private long _captureLeft;
    private char _captureType;
    private Dictionary<string, byte[]>? _pendingXattrs;
    private string? _pendingPath;

    /// <summary>The raw xattrs of the <paramref name="index"/>-th entry TarReader yields, if its name is <paramref name="name"/>.</summary>
    public IReadOnlyDictionary<string, byte[]>? XattrsOf(int index, string name) =>
        index < _entries.Count && _entries[index].Name == name ? _entries[index].Xattrs : null;

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Observe(buffer[..n]);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Observe(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Observe(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_capture is not null)
            {
                var take = (int)Math.Min(_captureLeft, bytes.Length);
                _capture.Write(bytes[..take]);
                bytes = bytes[take..];
                if ((_captureLeft -= take) == 0) FinishCapture();
            }
            else if (_skip > 0)
            {
                var take = (int)Math.Min(_skip, bytes.Length);
                bytes = bytes[take..];
                _skip -= take;
            }
            else
            {
                var take = Math.Min(Block - _headerFill, bytes.Length);
                bytes[..take].CopyTo(_header.AsSpan(_headerFill));
                bytes = bytes[take..];
                if ((_headerFill += take) == Block)
                {
                    _headerFill = 0;
                    OnHeader();
                }
            }
        }
    }

    private void OnHeader()
    {
        if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0) return; // end-of-archive block
        var type = (char)_header[156];
        var size = ParseSize(_header.AsSpan(124, 12));
        var padded = (size + Block - 1) / Block * Block;
        switch (type)
        {
            case 'x' or 'L':
                _captureType = type;
                _capture = new MemoryStream();
                _captureLeft = size;
                _skip = padded - size;
                if (size == 0) FinishCapture();
                return;
            case 'g' or 'K':
                if (type == 'g') _entries.Add(("", []));
                _skip = padded;
                return;
            default:
                _entries.Add((_pendingPath ?? HeaderName(), _pendingXattrs ?? []));
                _pendingPath = null;
                _pendingXattrs = null;
                // Links, devices, fifos and directories carry no data whatever their size field says (as TarReader).
                _skip = type is '0' or '\0' or '7' ? padded : 0;
                return;
        }
    }

    private void FinishCapture()
    {
        var content = _capture!.ToArray();
        _capture = null;
        if (_captureType == 'L')
        {
            _pendingPath = Encoding.UTF8.GetString(content).TrimEnd('\0');
            return;
        }
        _pendingXattrs ??= [];
        // Records are "<length> <key>=<value>\n", length in decimal counting the whole record.
        for (var pos = 0; pos < content.Length;)
        {
            var space = Array.IndexOf(content, (byte)' ', pos);
            if (space < 0 || !int.TryParse(content.AsSpan(pos, space - pos), out var length) || length <= 0 || pos + length > content.Length) return;
            var record = content.AsSpan(space + 1, pos + length - space - 2);
            var eq = record.IndexOf((byte)'=');
            if (eq > 0)
            {
                var key = Encoding.UTF8.GetString(record[..eq]);
                if (key == "path") _pendingPath = Encoding.UTF8.GetString(record[(eq + 1)..]);
                else if (key.StartsWith(XattrPrefix, StringComparison.Ordinal)) _pendingXattrs[key[XattrPrefix.Length..]] = record[(eq + 1)..].ToArray();
            }
            pos += length;
        }
    }

    private string HeaderName()
    {
        static string Field(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b[..(b.IndexOf((byte)0) is var i and >= 0 ? i : b.Length)]);
        var name = Field(_header.AsSpan(0, 100));
        var isUstar = _header.AsSpan(257, 5).SequenceEqual("ustar"u8);
        var prefix = isUstar ? Field(_header.AsSpan(345, 155)) : "";
        return prefix.Length > 0 ? prefix + "/" + name : name;
    }

    private static long ParseSize(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            // GNU base-256 for sizes of 8 GiB and more.
            long value = field[0] & 0x7f;
            foreach (var b in field[1..]) value = (value << 8) | b;
            return value;
        }
        long octal = 0;
        foreach (var b in field)
        {
            if (b is >= (byte)'0' and <= (byte)'7') octal = octal * 8 + (b - '0');
            else if (b is 0 or (byte)' ' && octal > 0) break;
        }
        return octal;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
