using System.Text.Json.Nodes;
using CriRuntime.Network;

namespace CriRuntime.Tests.Network;

public sealed class CniNetworkTests
{
    private static CniPodInfo Pod(params string[] ips) => new()
    {
        SandboxId = "id",
        NetnsPath = "/run/netns/x",
        PodName = "web",
        PodNamespace = "default",
        PodUid = "u1",
        StaticIps = ips,
    };

    [Fact]
    public void CapabilityArgs_StaticIps_RuntimeConfigIpsForDeclaringPluginOnly()
    {
        var args = CniNetwork.CapabilityArgs(Pod("10.1.2.3/24", "fd00::5"), null);
        var declaring = (JsonObject)JsonNode.Parse("""{"type":"bridge","capabilities":{"ips":true}}""")!;
        var silent = (JsonObject)JsonNode.Parse("""{"type":"portmap","capabilities":{"portMappings":true}}""")!;

        var withIps = JsonNode.Parse(CniNetworkList.PluginInput(declaring, "net", "1.0.0", args, null))!;
        var without = JsonNode.Parse(CniNetworkList.PluginInput(silent, "net", "1.0.0", args, null))!;

        Assert.Equal("""["10.1.2.3/24","fd00::5"]""", withIps["runtimeConfig"]!["ips"]!.ToJsonString());
        Assert.Null(without["runtimeConfig"]);
    }

    [Fact]
    public void CapabilityArgs_NoStaticIps_NoIpsKey()
    {
        var args = CniNetwork.CapabilityArgs(Pod(), null);

        Assert.False(args.ContainsKey("ips"));
    }
}
