using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Sandboxes;

/// <summary>
/// What CNI plugins receive from us (the spec's environment and kubelet's CNI_ARGS, prevResult on DEL), what
/// PodSandboxStatus echoes back to kubelet, a dual-stack network's two addresses, and static IPs (runtimeConfig.ips).
/// </summary>
[Collection("pods")]
public sealed class PodCniContractTests(ITestOutputHelper output) : PodTestBase(output)
{
    private const string Bandwidth = """{"type":"bandwidth","capabilities":{"bandwidth":true}}""";

    [Fact]
    public async Task RunAndStopPodSandbox_CniPluginEnvironment_IsTheSpecsAndKubelets()
    {
        var log = Path.Combine(Daemon.Settings.Dir, "recorder.log");
        // A chained plugin that records its environment and passes the previous result on, as a meta plugin does.
        WritePlugin("recorder", $$"""
            #!/usr/bin/python3
            import json, os, sys
            conf = json.load(sys.stdin)
            env = {k: v for k, v in os.environ.items() if k.startswith("CNI_")}
            with open("{{log}}", "a") as f:
                f.write(json.dumps({"env": env, "prevResult": conf.get("prevResult")}) + "\n")
            if env["CNI_COMMAND"] == "ADD":
                print(json.dumps(conf["prevResult"]))
            """);
        var conflist = Path.Combine(Daemon.Settings.CniConfDir, "10-test.conflist");
        File.WriteAllText(conflist, Network.Conflist.Replace(Bandwidth, """{"type":"recorder"}"""));
        try
        {
            var config = Pods.Config("cni-env", CgroupParent);
            var id = await RunAsync(config);
            var (status, info) = await StatusAsync(id);
            await StopAndRemoveAsync(id);

            var calls = File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            var add = calls.Single(c => Env(c, "CNI_COMMAND") == "ADD");
            var del = calls.First(c => Env(c, "CNI_COMMAND") == "DEL");
            foreach (var call in new[] { add, del })
            {
                Assert.Equal(id, Env(call, "CNI_CONTAINERID"));
                Assert.Equal("eth0", Env(call, "CNI_IFNAME"));
                Assert.Equal(info.GetProperty("netnsPath").GetString(), Env(call, "CNI_NETNS"));
                Assert.Contains("/usr/lib/cni", Env(call, "CNI_PATH")!.Split(':'));
                var args = Env(call, "CNI_ARGS")!.Split(';').ToHashSet();
                Assert.Contains("IgnoreUnknown=1", args);
                Assert.Contains("K8S_POD_NAMESPACE=default", args);
                Assert.Contains("K8S_POD_NAME=cni-env", args);
                Assert.Contains($"K8S_POD_INFRA_CONTAINER_ID={id}", args);
                Assert.Contains($"K8S_POD_UID={config.Metadata.Uid}", args);
            }
            // DEL carries the ADD's result (CNI 1.0: the runtime passes it as prevResult), so IPAM can release it.
            var ip = status.Network.Ip;
            Assert.Contains(ip, del.GetProperty("prevResult").GetRawText());
        }
        finally
        {
            File.WriteAllText(conflist, Network.Conflist);
        }
    }

    [Fact]
    public async Task PodSandboxStatus_EchoesMetadataLabelsAnnotationsAndNamespaceOptions()
    {
        var config = Pods.Config("echo", CgroupParent);
        config.Labels["tier"] = "backend";
        config.Annotations["example.com/note"] = "kept as given";
        config.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod };
        var id = await RunAsync(config);
        var (status, _) = await StatusAsync(id);
        await StopAndRemoveAsync(id);

        Assert.Equal(config.Metadata, status.Metadata);
        Assert.Equal(config.Labels, status.Labels);
        Assert.Equal("kept as given", status.Annotations["example.com/note"]);
        Assert.Equal(config.Linux.SecurityContext.NamespaceOptions, status.Linux.Namespaces.Options);
        Assert.True(status.CreatedAt > DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds() * 1_000_000);
    }

    [Fact]
    public async Task RunPodSandbox_DualStackNetwork_IpAndAdditionalIps()
    {
        if (!File.Exists("/proc/sys/net/ipv6/conf/all/disable_ipv6") || File.ReadAllText("/proc/sys/net/ipv6/conf/all/disable_ipv6").Trim() != "0")
        {
            Assert.Fail("IPv6 is disabled on this host; a dual-stack pod cannot be tested");
        }
        var v4 = $"[{{\"subnet\":\"{Network.Subnet}\"}}]";
        var v6Subnet = $"fd00:c71:{Network.Subnet.Split('.')[2]}::/64";
        var conflist = Path.Combine(Daemon.Settings.CniConfDir, "10-test.conflist");
        var dual = Network.Conflist.Replace($"\"ranges\":[{v4}]", $"\"ranges\":[{v4},[{{\"subnet\":\"{v6Subnet}\"}}]]");
        Assert.NotEqual(Network.Conflist, dual);
        File.WriteAllText(conflist, dual);
        try
        {
            var before = LeakCheck.Take(Daemon, Network, CgroupParent);
            var id = await RunAsync(Pods.Config("dual", CgroupParent));
            var (status, info) = await StatusAsync(id);
            Assert.StartsWith(Network.Subnet[..^"0/24".Length], status.Network.Ip);
            var v6 = Assert.Single(status.Network.AdditionalIps).Ip;
            Assert.StartsWith(v6Subnet[..^"/64".Length], v6);
            Assert.Contains(v6 + "/64", Pods.InNetns(info.GetProperty("netnsPath").GetString()!, "ip", "-6", "addr", "show", "eth0").Stdout);
            await StopAndRemoveAsync(id);
            LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
        }
        finally
        {
            File.WriteAllText(conflist, Network.Conflist);
        }
    }

    [Fact]
    public async Task RunPodSandbox_IpsAnnotationWithIpsCapability_PodGetsExactlyThatAddress()
    {
        var conflist = Path.Combine(Daemon.Settings.CniConfDir, "10-test.conflist");
        // The bridge declares the capability; host-local (its IPAM) reads runtimeConfig.ips from the same stdin.
        var withIps = Network.Conflist.Replace("\"isGateway\":true,", "\"isGateway\":true,\"capabilities\":{\"ips\":true},");
        Assert.NotEqual(Network.Conflist, withIps);
        File.WriteAllText(conflist, withIps);
        try
        {
            var before = LeakCheck.Take(Daemon, Network, CgroupParent);
            // .77, not the .2 host-local would hand out first, so a pod that got the default address fails.
            var ip = Network.Subnet[..^"0/24".Length] + "77";
            var config = Pods.Config("static-ip", CgroupParent);
            config.Annotations["cni.criruntime.io/ips"] = ip + "/24";
            var id = await RunAsync(config);
            var (status, info) = await StatusAsync(id);
            Assert.Equal(ip, status.Network.Ip);
            Assert.Empty(status.Network.AdditionalIps);
            Assert.Contains($"inet {ip}/24 ", Pods.InNetns(info.GetProperty("netnsPath").GetString()!, "ip", "-4", "addr", "show", "eth0").Stdout);
            Assert.Equal([ip], Network.Allocations());
            await StopAndRemoveAsync(id);
            LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
        }
        finally
        {
            File.WriteAllText(conflist, Network.Conflist);
        }
    }

    [Theory]
    [InlineData("10.1.2")]
    [InlineData("10.1.2.3/40")]
    [InlineData("127.0.0.1")]
    public async Task RunPodSandbox_BadIpsAnnotation_InvalidArgumentNamingItAndNothingLeft(string value)
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);
        var config = Pods.Config("bad-ip", CgroupParent);
        config.Annotations["cni.criruntime.io/ips"] = "10.0.0.9," + value;

        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(config));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("cni.criruntime.io/ips", e.Status.Detail);
        Assert.Empty((await Daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items);
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    private static string? Env(JsonElement call, string name) =>
        call.GetProperty("env").TryGetProperty(name, out var v) ? v.GetString() : null;

    private void WritePlugin(string name, string script)
    {
        var dir = Path.Combine(Daemon.Settings.Dir, "fake-cni");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, script);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }
}
