using CriRuntime.Network;

namespace CriRuntime.Tests.Network;

public sealed class CniConfigDirectoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("criruntime-cni-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Find_FirstValidFileInLexicalOrder()
    {
        File.WriteAllText(Path.Combine(_dir, "20-b.conflist"), """{"name":"b","plugins":[{"type":"bridge"}]}""");
        File.WriteAllText(Path.Combine(_dir, "10-a.conf"), """{"name":"a","type":"bridge"}""");
        File.WriteAllText(Path.Combine(_dir, "05-ignored.txt"), "not a config");

        var found = CniConfigDirectory.Find(_dir);

        Assert.Equal("a", found.NetworkName);
        Assert.EndsWith("10-a.conf", found.Path);
    }

    [Fact]
    public void Find_SkipsInvalidFilesAndSaysWhy()
    {
        File.WriteAllText(Path.Combine(_dir, "10-broken.conflist"), """{"name":"x","plugins":[]}""");

        var found = CniConfigDirectory.Find(_dir);

        Assert.Null(found.Path);
        Assert.Contains("10-broken.conflist", found.Problem);
    }

    [Fact]
    public void Find_MissingDirectory_IsAProblemNotAnException()
    {
        var found = CniConfigDirectory.Find(Path.Combine(_dir, "absent"));

        Assert.Null(found.Path);
        Assert.Contains("absent", found.Problem);
    }
}
