using System.Formats.Tar;
using System.Text;

namespace CriRuntime.Tests.Storage;

/// <summary>Builds layer tars entry by entry, including the malformed ones real tools refuse to make.</summary>
internal sealed class TarLayer
{
    private readonly MemoryStream _buffer = new();
    private readonly TarWriter _writer;

    public TarLayer() => _writer = new TarWriter(_buffer, TarEntryFormat.Pax, leaveOpen: true);

    public TarLayer Dir(string name) => Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0x1ED });

    public TarLayer File(string name, string content = "", int mode = 0x1A4)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)mode, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };
        return Add(entry);
    }

    public TarLayer Symlink(string name, string target) => Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });

    public TarLayer HardLink(string name, string target) => Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });

    public TarLayer Add(TarEntry entry)
    {
        _writer.WriteEntry(entry);
        return this;
    }

    public byte[] ToArray()
    {
        _writer.Dispose();
        return _buffer.ToArray();
    }
}
