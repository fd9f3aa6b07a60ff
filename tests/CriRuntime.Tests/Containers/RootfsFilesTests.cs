using CriRuntime.Containers;
using CriRuntime.Errors;

namespace CriRuntime.Tests.Containers;

public sealed class RootfsFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rootfs-files-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("rootfs-outside-").FullName;

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    [Fact]
    public void ReadText_RegularFile_ReturnsIt_MissingIsNull()
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        File.WriteAllText(Path.Combine(_root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");

        Assert.Equal("root:x:0:0::/root:/bin/sh\n", RootfsFiles.ReadText(_root, "/etc/passwd"));
        Assert.Null(RootfsFiles.ReadText(_root, "/etc/group"));
        Assert.Null(RootfsFiles.ReadText(_root, "/nodir/group"));
    }

    [Fact]
    public void ReadText_AbsoluteSymlinkOrDotDot_StaysInsideTheRootfs()
    {
        File.WriteAllText(Path.Combine(_outside, "secret"), "host secret");
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        Directory.CreateDirectory(Path.Combine(_root, _outside.TrimStart('/')));
        File.WriteAllText(Path.Combine(_root, _outside.TrimStart('/'), "secret"), "inside");
        File.CreateSymbolicLink(Path.Combine(_root, "etc/passwd"), Path.Combine(_outside, "secret"));
        File.CreateSymbolicLink(Path.Combine(_root, "etc/group"), "../../../../../../../../" + _outside.TrimStart('/') + "/secret");

        Assert.Equal("inside", RootfsFiles.ReadText(_root, "/etc/passwd"));
        Assert.Equal("inside", RootfsFiles.ReadText(_root, "/etc/group"));
    }

    [Fact]
    public void ReadText_Fifo_IsNeverOpened()
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        var fifo = Path.Combine(_root, "etc/passwd");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var e = Assert.Throws<OperationFailedException>(() => RootfsFiles.ReadText(_root, "/etc/passwd"));
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public void ReadText_Directory_IsOperationFailed()
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc/passwd"));

        Assert.Throws<OperationFailedException>(() => RootfsFiles.ReadText(_root, "/etc/passwd"));
    }
}

