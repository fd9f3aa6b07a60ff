using CriRuntime.Configuration;

namespace CriRuntime.Tests.Configuration;

/// <summary>The keys the pod lifecycle adds: runtime.pause_binary, network.cni_plugin_timeout.</summary>
public sealed class PodConfigKeysTests : IDisposable
{
    private static readonly Dictionary<string, string?> NoFlags = new();
    private static readonly Dictionary<string, string?> NoEnv = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("criruntime-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteToml(string toml)
    {
        var path = Path.Combine(_dir, "criruntime.toml");
        File.WriteAllText(path, toml);
        return path;
    }

    [Fact]
    public void Load_PodKeys_ReadAndPrinted()
    {
        var path = WriteToml("""
            [runtime]
            pause_binary = "/opt/criruntime/pause"
            [network]
            cni_plugin_timeout = "15s"
            """);

        var o = ConfigLoader.Load(path, NoFlags, NoEnv);

        Assert.Equal("/opt/criruntime/pause", o.Runtime.PauseBinary);
        Assert.Equal(TimeSpan.FromSeconds(15), o.Network.CniPluginTimeout);
        var toml = EffectiveConfig.ToToml(o);
        Assert.Contains("pause_binary = \"/opt/criruntime/pause\"", toml);
        Assert.Contains("cni_plugin_timeout = \"15s\"", toml);
    }

    [Theory]
    [InlineData("[runtime]\npause_binary = \"pause\"", "runtime.pause_binary")]
    [InlineData("[network]\ncni_plugin_timeout = \"soon\"", "network.cni_plugin_timeout")]
    public void Load_BadPodKey_NamesTheKey(string toml, string key)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(WriteToml(toml), NoFlags, NoEnv));

        Assert.Contains(key, e.Message);
    }
}
