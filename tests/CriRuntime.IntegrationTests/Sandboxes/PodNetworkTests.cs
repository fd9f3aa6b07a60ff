using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Sandboxes;

/// <summary>Pod networking with the real bridge, portmap and bandwidth plugins, and what the pod process gets.</summary>
[Collection("pods")]
public sealed class PodNetworkTests(ITestOutputHelper output) : PodTestBase(output)
{
    [Fact]
    public async Task RunPodSandbox_TwoPods_ReachEachOtherOverTheBridge()
    {
        var a = await RunAsync(Pods.Config("ping-a", CgroupParent));
        var b = await RunAsync(Pods.Config("ping-b", CgroupParent));

        var (statusA, infoA) = await StatusAsync(a);
        var (statusB, infoB) = await StatusAsync(b);
        Assert.NotEqual(statusA.Network.Ip, statusB.Network.Ip);
        var ping = Pods.InNetns(infoA.GetProperty("netnsPath").GetString()!, "ping", "-c", "1", "-W", "2", statusB.Network.Ip);
        Assert.True(ping.ExitCode == 0, ping.Stdout + ping.Stderr);

        await StopAndRemoveAsync(a);
        await StopAndRemoveAsync(b);
    }

    [Fact]
    public async Task RunPodSandbox_HostNamespaces_NoPinNoShmAndHostNamespaces()
    {
        var config = Pods.Config("hostns", CgroupParent);
        config.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Node;
        config.Linux.SecurityContext.NamespaceOptions.Ipc = NamespaceMode.Node;
        config.Linux.SecurityContext.NamespaceOptions.Pid = NamespaceMode.Node;

        var id = await RunAsync(config);

        var (status, info) = await StatusAsync(id);
        Assert.Equal(JsonValueKind.Null, info.GetProperty("netnsPath").ValueKind);
        Assert.Empty(Directory.GetFiles(Path.Combine(Daemon.Settings.RunRoot, "netns")));
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains($"/sandboxes/{id}/shm "));
        var pid = info.GetProperty("pid").GetInt32();
        foreach (var ns in new[] { "net", "ipc", "pid", "uts" })
        {
            Assert.Equal(new FileInfo($"/proc/self/ns/{ns}").LinkTarget, new FileInfo($"/proc/{pid}/ns/{ns}").LinkTarget);
        }
        Assert.NotEqual(new FileInfo("/proc/self/ns/mnt").LinkTarget, new FileInfo($"/proc/{pid}/ns/mnt").LinkTarget);
        Assert.Equal(NamespaceMode.Node, status.Linux.Namespaces.Options.Network);
        Assert.Equal("", status.Network.Ip);
        // As containerd: a host-network pod resolves names as the node does.
        Assert.Equal(File.ReadAllText("/etc/hosts"), File.ReadAllText(Path.Combine(info.GetProperty("sandboxDir").GetString()!, "hosts")));
        await StopAndRemoveAsync(id);
    }

    [Fact]
    public async Task RunPodSandbox_PodNamespaces_PauseIsPid1WithItsOwnIpcAndUts()
    {
        var id = await RunAsync(Pods.Config("ownns", CgroupParent));

        var (_, info) = await StatusAsync(id);
        var pid = info.GetProperty("pid").GetInt32();
        foreach (var ns in new[] { "net", "ipc", "pid", "uts", "mnt" })
        {
            Assert.NotEqual(new FileInfo($"/proc/self/ns/{ns}").LinkTarget, new FileInfo($"/proc/{pid}/ns/{ns}").LinkTarget);
        }
        Assert.Contains("NSpid:\t" + pid + "\t1", File.ReadAllText($"/proc/{pid}/status"));
        Assert.Contains("127.0.1.1\townns\n", File.ReadAllText(Path.Combine(info.GetProperty("sandboxDir").GetString()!, "hosts")));
        await StopAndRemoveAsync(id);
    }

    [Fact]
    public async Task RunPodSandbox_HostPort_ReachesPodThroughPortmap()
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);
        var hostPort = 20000 + Random.Shared.Next(20000);
        var config = Pods.Config("hostport", CgroupParent);
        config.PortMappings.Add(new PortMapping { ContainerPort = 8080, HostPort = hostPort, Protocol = Protocol.Tcp });
        var id = await RunAsync(config);
        var (_, info) = await StatusAsync(id);
        var www = Path.Combine(Daemon.Settings.Dir, "www");
        Directory.CreateDirectory(www);
        File.WriteAllText(Path.Combine(www, "index.html"), "hello from the pod");
        using var server = HostCommand.Start("nsenter", "--net=" + info.GetProperty("netnsPath").GetString(), "busybox", "httpd", "-f", "-p", "8080", "-h", www);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string? body = null;
            for (var i = 0; i < 50 && body is null; i++)
            {
                try
                {
                    body = await http.GetStringAsync($"http://{Network.Gateway}:{hostPort}/index.html");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(50); // httpd still starting
                }
            }
            Assert.Equal("hello from the pod", body);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
        await StopAndRemoveAsync(id);
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_DnsConfigAndSysctls_AppliedToThePod()
    {
        var config = Pods.Config("dns", CgroupParent);
        config.Linux.SecurityContext.RunAsUser = new Int64Value { Value = 1234 };
        config.Linux.SecurityContext.RunAsGroup = new Int64Value { Value = 4321 };
        config.Linux.SecurityContext.Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault };
        config.DnsConfig = new DNSConfig { Servers = { "10.96.0.10" }, Searches = { "default.svc.cluster.local", "svc.cluster.local" }, Options = { "ndots:5" } };
        config.Linux.Sysctls["net.ipv4.ip_unprivileged_port_start"] = "80";

        var id = await RunAsync(config);

        var (_, info) = await StatusAsync(id);
        var dir = info.GetProperty("sandboxDir").GetString()!;
        Assert.Equal("search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
            File.ReadAllText(Path.Combine(dir, "resolv.conf")));
        Assert.Equal("dns\n", File.ReadAllText(Path.Combine(dir, "hostname")));
        var sysctl = Pods.InNetns(info.GetProperty("netnsPath").GetString()!, "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start");
        Assert.Equal("80", sysctl.Stdout.Trim());
        var proc = File.ReadAllText($"/proc/{info.GetProperty("pid").GetInt32()}/status");
        Assert.Matches(@"Uid:\s+1234\s", proc);
        Assert.Matches(@"Gid:\s+4321\s", proc);
        Assert.Matches(@"NoNewPrivs:\s+1", proc);
        Assert.Matches(@"Seccomp:\s+2", proc);
        await StopAndRemoveAsync(id);
    }

    [Fact]
    public async Task RunPodSandbox_BandwidthAnnotations_ShapeThePodsTraffic()
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);
        var config = Pods.Config("shaped", CgroupParent);
        config.Annotations["kubernetes.io/ingress-bandwidth"] = "1M";
        config.Annotations["kubernetes.io/egress-bandwidth"] = "2M";

        var id = await RunAsync(config);

        var (_, info) = await StatusAsync(id);
        var hostVeth = info.GetProperty("cniResult").GetProperty("interfaces").EnumerateArray()
            .Select(i => i.GetProperty("name").GetString()!).Single(n => n.StartsWith("veth", StringComparison.Ordinal));
        var links = HostCommand.Check("ip", "-o", "link");
        var qdiscs = HostCommand.Check("tc", "qdisc", "show");
        Assert.Contains("tbf", HostCommand.Check("tc", "qdisc", "show", "dev", hostVeth));
        Assert.Contains("rate 1Mbit", qdiscs);
        Assert.Contains("rate 2Mbit", qdiscs);
        var ifb = links.Split('\n').Select(l => l.Split(": ").ElementAtOrDefault(1)).Single(n => n is not null && n.StartsWith("bwp", StringComparison.Ordinal) && qdiscs.Contains("dev " + n + " "));

        await StopAndRemoveAsync(id);

        Assert.DoesNotContain(ifb + ":", HostCommand.Check("ip", "-o", "link"));
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }
}
