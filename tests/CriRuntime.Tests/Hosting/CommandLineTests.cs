using CriRuntime.Configuration;
using CriRuntime.Hosting;

namespace CriRuntime.Tests.Hosting;

public sealed class CommandLineTests
{
    [Fact]
    public void Parse_FlagsBecomeConfigKeys()
    {
        var c = CommandLine.Parse(["--socket", "/s.sock", "--root=/r", "--cni-plugin-dir", "/a", "--cni-plugin-dir", "/b", "--set", "api.stream_port=5"]);

        Assert.Equal(Verb.Serve, c.Verb);
        Assert.Equal("/s.sock", c.Flags["api:listen"]);
        Assert.Equal("/r", c.Flags["root"]);
        Assert.Equal("/a", c.Flags["network:cni_plugin_dirs:0"]);
        Assert.Equal("/b", c.Flags["network:cni_plugin_dirs:1"]);
        Assert.Equal("5", c.Flags["api:stream_port"]);
    }

    [Theory]
    [InlineData("config", "PrintConfig")]
    [InlineData("version", "Version")]
    [InlineData("--version", "Version")]
    [InlineData("serve", "Serve")]
    public void Parse_Verbs(string arg, string verb) => Assert.Equal(Enum.Parse<Verb>(verb), CommandLine.Parse([arg]).Verb);

    [Theory]
    [InlineData("--bogus", "x")]
    [InlineData("--root")]
    [InlineData("frobnicate")]
    [InlineData("--set", "novalue")]
    public void Parse_BadArguments_Throw(params string[] args) =>
        Assert.Throws<ConfigException>(() => CommandLine.Parse(args));
}
