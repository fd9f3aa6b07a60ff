using CriRuntime.Configuration;
using Microsoft.Extensions.Logging;

namespace CriRuntime.Tests.Configuration;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("criruntime-config-").FullName;
    private static readonly Dictionary<string, string?> NoFlags = new();
    private static readonly Dictionary<string, string?> NoEnv = new();

    /// <summary>The default path, pointed into the temp dir so the host's /etc/criruntime never leaks into a test.</summary>
    private string DefaultPath => Path.Combine(_dir, "default.toml");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteToml(string text)
    {
        var path = Path.Combine(_dir, "criruntime.toml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Load_NoFile_GivesDefaults()
    {
        var o = ConfigLoader.Load(null, NoFlags, NoEnv, DefaultPath);

        Assert.Equal("/run/criruntime/criruntime.sock", o.Api.Listen);
        Assert.Equal("/var/lib/criruntime", o.Root);
        Assert.Equal(["/opt/cni/bin", "/usr/lib/cni"], o.Network.CniPluginDirs);
        Assert.Equal("criruntime", o.Runtime.DefaultHandler);
    }

    [Fact]
    public void Load_FileThenEnvironmentThenFlags_LaterWins()
    {
        var path = WriteToml("""
            root = "/file/root"
            run_root = "/file/run"
            [api]
            listen = "/file/cri.sock"
            stream_port = 1
            """);
        var env = new Dictionary<string, string?> { ["api:listen"] = "/env/cri.sock", ["api:stream_port"] = "2" };
        var flags = new Dictionary<string, string?> { ["api:stream_port"] = "3" };

        var o = ConfigLoader.Load(path, flags, env);

        Assert.Equal("/file/root", o.Root);
        Assert.Equal("/env/cri.sock", o.Api.Listen);
        Assert.Equal(3, o.Api.StreamPort);
    }

    [Fact]
    public void Load_HandlersTable_AddsToDefaults()
    {
        var path = WriteToml("""
            [runtime]
            default_handler = "kata"
            [runtime.handlers.kata]
            path = "/usr/bin/kata-runtime"
            root = "/run/kata"
            """);

        var o = ConfigLoader.Load(path, NoFlags, NoEnv);

        Assert.Equal("kata", o.Runtime.DefaultHandler);
        Assert.Equal(new RuntimeHandlerOptions("/usr/bin/kata-runtime", "/run/kata"), o.Runtime.Handlers["kata"]);
        Assert.True(o.Runtime.Handlers.ContainsKey("runc"));
    }

    [Theory]
    [InlineData("[api]\nstream_port = 70000", "api.stream_port")]
    [InlineData("root = \"relative/path\"", "root")]
    [InlineData("log_level = \"loud\"", "log_level")]
    [InlineData("[api]\nstream_idle_timeout = \"forever\"", "api.stream_idle_timeout")]
    [InlineData("[runtime]\ndefault_handler = \"nope\"", "runtime.default_handler")]
    [InlineData("[telemetry]\nprometheus_listen = \"9090\"", "telemetry.prometheus_listen")]
    [InlineData("[netwrk]\ncni_conf_dir = \"/x\"", "netwrk.cni_conf_dir")]
    public void Load_BadValueOrUnknownKey_NamesTheKey(string toml, string key)
    {
        var path = WriteToml(toml);

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, NoFlags, NoEnv));

        Assert.Contains($"'{key}'", e.Message);
    }

    [Fact]
    public void Load_InvalidToml_NamesTheFile()
    {
        var path = WriteToml("root = ");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, NoFlags, NoEnv));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Load_ExplicitMissingFile_Fails()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Path.Combine(_dir, "absent.toml"), NoFlags, NoEnv));

        Assert.Contains("absent.toml", e.Message);
    }

    [Fact]
    public void Load_CommaSeparatedList_FromEnvironment()
    {
        var env = new Dictionary<string, string?> { ["network:cni_plugin_dirs"] = "/a, /b" };

        var o = ConfigLoader.Load(null, NoFlags, env, DefaultPath);

        Assert.Equal(["/a", "/b"], o.Network.CniPluginDirs);
    }

    [Fact]
    public void Load_ListFromHigherLayer_ReplacesTheWholeListBelow()
    {
        var path = WriteToml("""
            [network]
            cni_plugin_dirs = ["/file/1", "/file/2", "/file/3"]
            """);
        var env = new Dictionary<string, string?> { ["network:cni_plugin_dirs"] = "/env/1" };
        var flags = new Dictionary<string, string?> { ["network:cni_plugin_dirs:0"] = "/flag/1", ["network:cni_plugin_dirs:1"] = "/flag/2" };

        Assert.Equal(["/env/1"], ConfigLoader.Load(path, NoFlags, env).Network.CniPluginDirs);
        Assert.Equal(["/flag/1", "/flag/2"], ConfigLoader.Load(path, flags, env).Network.CniPluginDirs);
    }

    [Fact]
    public void Load_DefaultPathPresent_IsRead()
    {
        File.WriteAllText(DefaultPath, "root = \"/from/default\"");

        Assert.Equal("/from/default", ConfigLoader.Load(null, NoFlags, NoEnv, DefaultPath).Root);
    }

    [Fact]
    public void EffectiveConfig_TomlRoundTrips()
    {
        var flags = new Dictionary<string, string?> { ["log_level"] = "debug", ["api:stream_idle_timeout"] = "1h30m" };
        var original = ConfigLoader.Load(null, flags, NoEnv, DefaultPath);

        var path = WriteToml(EffectiveConfig.ToToml(original));
        var reloaded = ConfigLoader.Load(path, NoFlags, NoEnv);

        Assert.Equal(LogLevel.Debug, reloaded.LogLevel);
        Assert.Equal(TimeSpan.FromMinutes(90), reloaded.Api.StreamIdleTimeout);
        Assert.Equal(original.Runtime.Handlers, reloaded.Runtime.Handlers);
        Assert.Equal(original.Network.CniPluginDirs, reloaded.Network.CniPluginDirs);
    }
}
