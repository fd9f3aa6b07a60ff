using System.Formats.Tar;
using CriRuntime.Errors;
using CriRuntime.Linux;
using CriRuntime.Storage;

namespace CriRuntime.Tests.Storage;

// Tar safety with archives built here, entry by entry. Device nodes and ownership need root (tests run as root here).
public sealed class LayerUnpackerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("criruntime-unpack-").FullName;
    private string Root => Path.Combine(_dir, "root");
    private string Outside => Path.Combine(_dir, "outside");

    public LayerUnpackerTests() => Directory.CreateDirectory(Outside);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Escapes => new()
    {
        "dotdot", "dotdot-inside", "absolute", "symlink-parent", "symlink-relative-parent", "symlink-then-file-through-it",
        "hardlink-dotdot", "hardlink-absolute", "hardlink-through-symlink", "hardlink-missing", "symlink-replaced-by-dir-write",
    };

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task Unpack_EscapeTrick_RejectedAndNothingOutside(string trick)
    {
        File.WriteAllText(Path.Combine(Outside, "target"), "keep");
        var layer = trick switch
        {
            "dotdot" => new TarLayer().File("../outside/pwned", "x"),
            "dotdot-inside" => new TarLayer().Dir("a").File("a/../../outside/pwned", "x"),
            "absolute" => new TarLayer().File(Outside + "/pwned", "x"),
            "symlink-parent" => new TarLayer().Symlink("s", Outside).File("s/pwned", "x"),
            "symlink-relative-parent" => new TarLayer().Symlink("s", "../outside").File("s/pwned", "x"),
            "symlink-then-file-through-it" => new TarLayer().Dir("d").Symlink("d/s", "/").File("d/s" + Outside + "/pwned", "x"),
            "hardlink-dotdot" => new TarLayer().HardLink("h", "../outside/target"),
            "hardlink-absolute" => new TarLayer().HardLink("h", Outside + "/target"),
            "hardlink-through-symlink" => new TarLayer().Symlink("s", Outside).HardLink("h", "s/target"),
            "hardlink-missing" => new TarLayer().HardLink("h", "nothing"),
            _ => new TarLayer().Symlink("s", Outside).Dir("s").File("s/inside", "x"),
        };

        var error = await Record.ExceptionAsync(() => Unpack(layer));

        Assert.Equal("keep", File.ReadAllText(Path.Combine(Outside, "target")));
        Assert.Equal(["target"], Directory.EnumerateFileSystemEntries(Outside).Select(Path.GetFileName));
        if (trick == "symlink-replaced-by-dir-write")
        {
            // A directory entry replaces the symlink (tar semantics); the write then lands inside the layer.
            Assert.Null(error);
            Assert.True(File.Exists(Path.Combine(Root, "s", "inside")));
            return;
        }
        Assert.IsType<OperationFailedException>(error);
        Assert.Contains("invalid layer", error.Message);
    }

    [Fact]
    public async Task Unpack_Whiteouts_BecomeOverlayWhiteoutsAndOpaqueXattr()
    {
        await Unpack(new TarLayer().Dir("d").File("d/.wh.gone").Dir("o").File("o/.wh..wh..opq").File("o/new", "n").File(".wh..wh.plnk"));

        var whiteout = FileNodes.LStat(Path.Combine(Root, "d", "gone"));
        Assert.Equal(FileNodes.S_IFCHR, whiteout?.Type);
        Assert.Equal("y"u8.ToArray(), FileNodes.GetXattr(Path.Combine(Root, "o"), "trusted.overlay.opaque"));
        Assert.False(File.Exists(Path.Combine(Root, "o", ".wh..wh..opq")));
        Assert.False(File.Exists(Path.Combine(Root, ".wh..wh.plnk")));
        Assert.Equal("n", File.ReadAllText(Path.Combine(Root, "o", "new")));
    }

    [Fact]
    public async Task Unpack_FileKinds_ModesOwnersTimesLinksAndNodes()
    {
        var mtime = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var tar = new TarLayer()
            .Add(new PaxTarEntry(TarEntryType.Directory, "dir") { Mode = (UnixFileMode)0x1C0, ModificationTime = mtime, Uid = 1000, Gid = 1001 })
            .Add(new PaxTarEntry(TarEntryType.RegularFile, "dir/suid", new Dictionary<string, string> { ["SCHILY.xattr.user.k"] = "v", ["SCHILY.xattr.user.text"] = "é\uFFFD" })
            {
                Mode = (UnixFileMode)0x9ED,
                Uid = 1000,
                Gid = 1001,
                ModificationTime = mtime,
                DataStream = new MemoryStream("abc"u8.ToArray()),
            })
            .HardLink("dir/hard", "dir/suid")
            .Symlink("dir/sym", "/etc/passwd")
            .Add(new PaxTarEntry(TarEntryType.CharacterDevice, "null") { DeviceMajor = 1, DeviceMinor = 3, Mode = (UnixFileMode)0x1B6 })
            .Add(new PaxTarEntry(TarEntryType.Fifo, "fifo") { Mode = (UnixFileMode)0x1A4 });

        await Unpack(tar);

        var suid = Path.Combine(Root, "dir", "suid");
        Assert.Equal("abc", File.ReadAllText(suid));
        var stat = FileNodes.LStat(suid)!.Value;
        Assert.Equal(0x9EDu, stat.Mode & 0xFFF); // setuid survives the chown
        Assert.Equal(2u, stat.Links);
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(suid));
        Assert.Equal(mtime, Directory.GetLastWriteTimeUtc(Path.Combine(Root, "dir")));
        Assert.Equal("v"u8.ToArray(), FileNodes.GetXattr(suid, "user.k"));
        Assert.Equal("é\uFFFD"u8.ToArray(), FileNodes.GetXattr(suid, "user.text"));
        Assert.Equal("/etc/passwd", new FileInfo(Path.Combine(Root, "dir", "sym")).LinkTarget);
        Assert.Equal(FileNodes.S_IFCHR, FileNodes.LStat(Path.Combine(Root, "null"))?.Type);
        Assert.Equal(FileNodes.S_IFIFO, FileNodes.LStat(Path.Combine(Root, "fifo"))?.Type);
        Assert.Equal(0x1C0u, FileNodes.LStat(Path.Combine(Root, "dir"))!.Value.Mode & 0xFFF);
    }

    [Fact]
    public async Task Unpack_BinaryXattrs_AreAppliedByteForByte()
    {
        // TarWriter can only write text values: write placeholders of the right length, then put the binary
        // bytes (not valid UTF-8, as in a security.capability value) into the pax record in their place.
        byte[] binary = [0x01, 0x00, 0x00, 0x02, 0xff, 0xfe, 0x80, 0x00, 0xc3];
        var placeholder = new string('Q', binary.Length);
        var tar = new TarLayer()
            .Add(new PaxTarEntry(TarEntryType.RegularFile, "bin/ping", new Dictionary<string, string> { ["SCHILY.xattr.user.cap"] = placeholder })
            {
                Mode = (UnixFileMode)0x1ED,
                DataStream = new MemoryStream("elf"u8.ToArray()),
            })
            .File("bin/other", "x")
            .ToArray();
        var at = tar.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(placeholder));
        binary.CopyTo(tar, at);

        await Unpack(tar);

        Assert.Equal(binary, FileNodes.GetXattr(Path.Combine(Root, "bin", "ping"), "user.cap"));
        Assert.Null(FileNodes.GetXattr(Path.Combine(Root, "bin", "other"), "user.cap"));
    }

    [Fact]
    public async Task Unpack_LaterEntryReplacesEarlier_AndMissingParentsAreCreated()
    {
        await Unpack(new TarLayer().File("a/b/c", "1").File("a/b/c", "2").Dir("x").File("x", "file now"));

        Assert.Equal("2", File.ReadAllText(Path.Combine(Root, "a", "b", "c")));
        Assert.Equal("file now", File.ReadAllText(Path.Combine(Root, "x")));
    }

    private Task Unpack(TarLayer layer) => LayerUnpacker.UnpackAsync(new MemoryStream(layer.ToArray()), Root, CancellationToken.None);

    private Task Unpack(byte[] tar) => LayerUnpacker.UnpackAsync(new MemoryStream(tar), Root, CancellationToken.None);
}
