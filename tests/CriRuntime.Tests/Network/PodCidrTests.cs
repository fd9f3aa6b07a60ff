using CriRuntime.Configuration;
using CriRuntime.Errors;
using CriRuntime.Network;

namespace CriRuntime.Tests.Network;

public sealed class PodCidrTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "podcidr-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Set_DualStack_IpRangesOneSetPerCidrAndSurvivesRestart()
    {
        var options = new DaemonOptions { Root = _root };
        new PodCidr(options).Set("10.88.7.0/24, fd00:10:88::/64");

        var reloaded = new PodCidr(options);

        Assert.Equal(["10.88.7.0/24", "fd00:10:88::/64"], reloaded.Cidrs);
        Assert.Equal("""[[{"subnet":"10.88.7.0/24"}],[{"subnet":"fd00:10:88::/64"}]]""", reloaded.IpRanges()!.ToJsonString());
    }

    [Fact]
    public void Set_Empty_Clears()
    {
        var options = new DaemonOptions { Root = _root };
        var cidr = new PodCidr(options);
        cidr.Set("10.88.7.0/24");
        cidr.Set("");

        Assert.Null(cidr.IpRanges());
        Assert.Empty(new PodCidr(options).Cidrs);
    }

    [Theory]
    [InlineData("10.88.7.0")]
    [InlineData("not-a-cidr/24")]
    [InlineData("10.88.7.1/24")]
    public void Set_Invalid_InvalidArgumentAndNothingKept(string value)
    {
        var cidr = new PodCidr(new DaemonOptions { Root = _root });
        Assert.Throws<InvalidArgumentException>(() => cidr.Set(value));
        Assert.Empty(cidr.Cidrs);
    }
}

public sealed class PodCidrCapabilityTests
{
    [Fact]
    public void PluginInput_IpRangesOnlyForPluginsDeclaringTheCapability()
    {
        var list = CniNetworkList.Parse("""
            {"cniVersion":"1.0.0","name":"net","plugins":[
              {"type":"bridge","capabilities":{"ipRanges":true},"ipam":{"type":"host-local"}},
              {"type":"portmap","capabilities":{"portMappings":true}}]}
            """, "test");
        var root = Path.Combine(Path.GetTempPath(), "podcidr-" + Guid.NewGuid().ToString("N"));
        var cidr = new PodCidr(new DaemonOptions { Root = root });
        cidr.Set("10.88.5.0/24");
        var args = new Dictionary<string, System.Text.Json.Nodes.JsonNode> { ["ipRanges"] = cidr.IpRanges()! };

        var bridge = System.Text.Json.Nodes.JsonNode.Parse(CniNetworkList.PluginInput(list.Plugins[0], list.Name, list.CniVersion, args, null))!;
        var portmap = System.Text.Json.Nodes.JsonNode.Parse(CniNetworkList.PluginInput(list.Plugins[1], list.Name, list.CniVersion, args, null))!;

        Assert.Equal("""[[{"subnet":"10.88.5.0/24"}]]""", bridge["runtimeConfig"]!["ipRanges"]!.ToJsonString());
        Assert.Null(portmap["runtimeConfig"]);
        Directory.Delete(root, recursive: true);
    }
}
