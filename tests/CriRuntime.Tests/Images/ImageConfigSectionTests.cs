using CriRuntime.Configuration;

namespace CriRuntime.Tests.Images;

public sealed class ImageConfigSectionTests : IDisposable
{
    private static readonly Dictionary<string, string?> None = new();
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"criruntime-image-{Guid.NewGuid():N}.toml");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Load_Registries_ReadInOrderWithMirrors()
    {
        File.WriteAllText(_path, """
            [image]
            default_registry = "registry.example"
            max_concurrent_downloads = 5
            [[image.registries]]
            prefix = "registry.k8s.io"
            mirrors = ["http://127.0.0.1:5000", "https://mirror.example"]
            [[image.registries]]
            prefix = "127.0.0.1:5000"
            insecure = true
            ca_file = "/etc/ca.pem"
            """);

        var image = ConfigLoader.Load(_path, None, None).Image;

        Assert.Equal("registry.example", image.DefaultRegistry);
        Assert.Equal(5, image.MaxConcurrentDownloads);
        Assert.Equal(2, image.Registries.Count);
        Assert.Equal(["http://127.0.0.1:5000", "https://mirror.example"], image.Registries[0].Mirrors);
        Assert.False(image.Registries[0].Insecure);
        Assert.Equal(new RegistryOptions("127.0.0.1:5000", "", true, "/etc/ca.pem", []), image.Registries[1] with { Mirrors = [] });
    }

    [Theory]
    [InlineData("mirrors = [\"127.0.0.1:5000\"]", "image.registries.0.mirrors")]
    [InlineData("insecure = \"yes\"", "image.registries.0.insecure")]
    [InlineData("ca_file = \"ca.pem\"", "image.registries.0.ca_file")]
    [InlineData("colour = \"red\"", "image.registries.0.colour")]
    public void Load_BadRegistryKey_NamesTheKey(string line, string key)
    {
        File.WriteAllText(_path, $"[[image.registries]]\nprefix = \"x.example\"\n{line}\n");

        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(_path, None, None));

        Assert.Contains(key, error.Message);
    }
}
