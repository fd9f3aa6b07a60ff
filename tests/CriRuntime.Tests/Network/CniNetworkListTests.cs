using System.Text.Json.Nodes;
using CriRuntime.Network;

namespace CriRuntime.Tests.Network;

public sealed class CniNetworkListTests
{
    private const string Conflist = """
        {"cniVersion":"1.0.0","name":"net","plugins":[
          {"type":"bridge","bridge":"cni0"},
          {"type":"portmap","capabilities":{"portMappings":true}},
          {"type":"bandwidth","capabilities":{"bandwidth":false}}]}
        """;

    [Fact]
    public void Parse_Conflist_KeepsPluginOrder()
    {
        var list = CniNetworkList.Parse(Conflist, "test");

        Assert.Equal("net", list.Name);
        Assert.Equal("1.0.0", list.CniVersion);
        Assert.Equal(["bridge", "portmap", "bandwidth"], list.Plugins.Select(p => p["type"]!.GetValue<string>()));
    }

    [Fact]
    public void Parse_SinglePluginConf_WrappedIntoList()
    {
        var list = CniNetworkList.Parse("""{"cniVersion":"0.4.0","name":"one","type":"bridge"}""", "test");

        Assert.Single(list.Plugins);
        Assert.Equal("0.4.0", list.CniVersion);
    }

    [Fact]
    public void Parse_PluginWithoutType_Rejected()
    {
        Assert.Throws<InvalidDataException>(() => CniNetworkList.Parse("""{"name":"x","plugins":[{"bridge":"y"}]}""", "test"));
    }

    [Fact]
    public void PluginInput_AddsNameVersionPrevResultAndOnlyDeclaredCapabilities()
    {
        var list = CniNetworkList.Parse(Conflist, "test");
        var args = new Dictionary<string, JsonNode>
        {
            ["portMappings"] = new JsonArray(new JsonObject { ["hostPort"] = 80 }),
            ["bandwidth"] = new JsonObject { ["ingressRate"] = 1000 },
        };
        var prev = JsonNode.Parse("""{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.2/16"}]}""");

        var portmap = JsonNode.Parse(CniNetworkList.PluginInput(list.Plugins[1], list.Name, list.CniVersion, args, prev))!;
        var bandwidth = JsonNode.Parse(CniNetworkList.PluginInput(list.Plugins[2], list.Name, list.CniVersion, args, prev))!;
        var bridge = JsonNode.Parse(CniNetworkList.PluginInput(list.Plugins[0], list.Name, list.CniVersion, args, null))!;

        Assert.Equal("net", portmap["name"]!.GetValue<string>());
        Assert.Equal("1.0.0", portmap["cniVersion"]!.GetValue<string>());
        Assert.Equal(80, portmap["runtimeConfig"]!["portMappings"]![0]!["hostPort"]!.GetValue<int>());
        Assert.Equal("10.88.0.2/16", portmap["prevResult"]!["ips"]![0]!["address"]!.GetValue<string>());
        Assert.Null(bandwidth["runtimeConfig"]); // declared false
        Assert.Null(bridge["runtimeConfig"]);
        Assert.Null(bridge["prevResult"]);
    }

    [Fact]
    public void ToJson_RoundTrips()
    {
        var list = CniNetworkList.Parse(Conflist, "test");

        var again = CniNetworkList.Parse(list.ToJson(), "record");

        Assert.Equal(list.Plugins.Count, again.Plugins.Count);
        Assert.Equal(list.Name, again.Name);
    }

    [Fact]
    public void Ips_DualStack_Ipv4First()
    {
        var ips = CniResult.Ips("""{"ips":[{"address":"fd00::5/64"},{"address":"10.88.0.5/16","gateway":"10.88.0.1"}]}""");

        Assert.Equal(["10.88.0.5", "fd00::5"], ips);
        Assert.Empty(CniResult.Ips(null));
    }

    [Theory]
    [InlineData("10M", 10_000_000)]
    [InlineData("1Mi", 1_048_576)]
    [InlineData("500k", 500_000)]
    [InlineData("2G", 2_000_000_000)]
    public void BandwidthQuantity_Parse(string value, long bits)
    {
        Assert.Equal(bits, BandwidthQuantity.Parse("a", value));
    }

    [Fact]
    public void BandwidthQuantity_Garbage_InvalidArgument()
    {
        Assert.Throws<CriRuntime.Errors.InvalidArgumentException>(() => BandwidthQuantity.Parse(BandwidthQuantity.IngressAnnotation, "fast"));
    }
}
