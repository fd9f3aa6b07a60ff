using CriRuntime.State;

namespace CriRuntime.Tests.State;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("criruntime-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_ReplacesContentAndLeavesNoTempFile()
    {
        var path = Path.Combine(_dir, "record.json");
        AtomicFile.Write(path, "old"u8);

        AtomicFile.Write(path, "new"u8);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["record.json"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_CreatesFileOwnerOnly()
    {
        var path = Path.Combine(_dir, "secret.json");

        AtomicFile.Write(path, "{}"u8);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void RemoveTempFiles_DeletesLeftoversOfInterruptedWrites()
    {
        File.WriteAllText(Path.Combine(_dir, ".record.json.123.abc.tmp"), "torn");
        File.WriteAllText(Path.Combine(_dir, "record.json"), "whole");

        AtomicFile.RemoveTempFiles(_dir);

        Assert.Equal(["record.json"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }
}
