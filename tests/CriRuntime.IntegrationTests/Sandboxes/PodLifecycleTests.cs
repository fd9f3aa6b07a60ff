using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Sandboxes;

/// <summary>Pods with the real bridge plugin, runc and conmon. One class: its tests share iptables and run in sequence.</summary>
[Collection("pods")]
public sealed class PodLifecycleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _cgroupParent = Pods.NewCgroupParent();
    private CriDaemon _daemon = null!;
    private PodNetwork _network = null!;

    public async Task InitializeAsync()
    {
        PodNetwork? network = null;
        _daemon = await CriDaemon.StartAsync(output, s =>
        {
            Pods.Configure(s);
            s.CniPluginDirs.AddRange([Path.Combine(s.Dir, "fake-cni"), "/usr/lib/cni"]);
            network = PodNetwork.For(s);
        });
        _network = network!;
        // One pod first: the bridge, the daemon's lazily opened fds (inotify, process pipes) and the JIT all
        // settle, so each test's leak baseline counts only what that test does.
        var warmup = await RunAsync(Pods.Config("warmup", _cgroupParent));
        await StopAndRemoveAsync(warmup);
    }

    public async Task DisposeAsync()
    {
        await Pods.RemoveAllAsync(_daemon);
        await _daemon.DisposeAsync();
        _network.Dispose();
        Pods.RemoveCgroupParent(_cgroupParent);
    }

    private async Task<string> RunAsync(PodSandboxConfig config, string handler = "") =>
        (await _daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config, RuntimeHandler = handler })).PodSandboxId;

    private async Task StopAndRemoveAsync(string id)
    {
        await _daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
        await _daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
    }

    private async Task<(PodSandboxStatus Status, JsonElement Info)> StatusAsync(string id)
    {
        var response = await _daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true });
        return (response.Status, JsonDocument.Parse(response.Info["info"]).RootElement.Clone());
    }

    [Fact]
    public async Task RunPodSandbox_BridgeNetwork_PodGetsIpAndIsReady()
    {
        var before = LeakCheck.Take(_daemon, _network, _cgroupParent);

        var id = (await _daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = Pods.Config("web", _cgroupParent) })).PodSandboxId;

        var status = await _daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true });
        Assert.Equal(PodSandboxState.SandboxReady, status.Status.State);
        Assert.StartsWith(_network.Subnet[..^"0/24".Length], status.Status.Network.Ip);
        Assert.Equal("runc", status.Status.RuntimeHandler);
        Assert.Equal("web", status.Status.Metadata.Name);
        using var info = JsonDocument.Parse(status.Info["info"]);
        var netns = info.RootElement.GetProperty("netnsPath").GetString()!;
        Assert.True(info.RootElement.GetProperty("pid").GetInt32() > 0);
        var addr = Pods.InNetns(netns, "ip", "-4", "addr", "show", "eth0");
        Assert.Contains(status.Status.Network.Ip + "/24", addr.Stdout);
        Assert.Contains("UP", Pods.InNetns(netns, "ip", "link", "show", "lo").Stdout);
        var pid = info.RootElement.GetProperty("pid").GetInt32();
        Assert.Contains($"{_cgroupParent}/{id}", File.ReadAllText($"/proc/{pid}/cgroup"));
        var shm = File.ReadLines("/proc/self/mountinfo").Single(l => l.Contains($"/sandboxes/{id}/shm "));
        Assert.Contains("tmpfs", shm);
        Assert.Contains("size=65536k", shm);

        await _daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
        var stopped = await _daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id });
        Assert.Equal(PodSandboxState.SandboxNotready, stopped.Status.State);
        await _daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await _daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        LeakCheck.Take(_daemon, _network, _cgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_Concurrent_DistinctReadyPodsAndNothingLeft()
    {
        var before = LeakCheck.Take(_daemon, _network, _cgroupParent);

        var ids = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => RunAsync(Pods.Config($"par-{i}", _cgroupParent))));

        var ips = new List<string>();
        foreach (var id in ids)
        {
            var (status, _) = await StatusAsync(id);
            Assert.Equal(PodSandboxState.SandboxReady, status.State);
            ips.Add(status.Network.Ip);
        }
        Assert.Equal(5, ips.Distinct().Count());
        await Task.WhenAll(ids.Select(StopAndRemoveAsync));
        LeakCheck.Take(_daemon, _network, _cgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task DaemonRestart_PodKeepsRunningAndIsStillStoppable()
    {
        var id = await RunAsync(Pods.Config("survivor", _cgroupParent));
        var (before, info) = await StatusAsync(id);

        await _daemon.RestartAsync();

        var (after, infoAfter) = await StatusAsync(id);
        Assert.Equal(PodSandboxState.SandboxReady, after.State);
        Assert.Equal(before.Network.Ip, after.Network.Ip);
        Assert.Equal(before.CreatedAt, after.CreatedAt);
        var pid = infoAfter.GetProperty("pid").GetInt32();
        Assert.Equal(info.GetProperty("pid").GetInt32(), pid);
        Assert.True(Directory.Exists($"/proc/{pid}"), "the pause must outlive the daemon");
        await StopAndRemoveAsync(id);
        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.Empty(_network.Allocations());
    }

    [Fact]
    public async Task RunPodSandbox_TwoPods_ReachEachOtherOverTheBridge()
    {
        var a = await RunAsync(Pods.Config("ping-a", _cgroupParent));
        var b = await RunAsync(Pods.Config("ping-b", _cgroupParent));

        var (statusA, infoA) = await StatusAsync(a);
        var (statusB, infoB) = await StatusAsync(b);
        Assert.NotEqual(statusA.Network.Ip, statusB.Network.Ip);
        var ping = Pods.InNetns(infoA.GetProperty("netnsPath").GetString()!, "ping", "-c", "1", "-W", "2", statusB.Network.Ip);
        Assert.True(ping.ExitCode == 0, ping.Stdout + ping.Stderr);

        await StopAndRemoveAsync(a);
        await StopAndRemoveAsync(b);
    }

    [Fact]
    public async Task RunPodSandbox_HostNetwork_NoPinAndHostNamespace()
    {
        var config = Pods.Config("hostnet", _cgroupParent);
        config.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Node;

        var id = await RunAsync(config);

        var (status, info) = await StatusAsync(id);
        Assert.Equal(JsonValueKind.Null, info.GetProperty("netnsPath").ValueKind);
        Assert.Empty(Directory.GetFiles(Path.Combine(_daemon.Settings.RunRoot, "netns")));
        var pid = info.GetProperty("pid").GetInt32();
        Assert.Equal(new FileInfo("/proc/self/ns/net").LinkTarget, new FileInfo($"/proc/{pid}/ns/net").LinkTarget);
        Assert.Equal(NamespaceMode.Node, status.Linux.Namespaces.Options.Network);
        await StopAndRemoveAsync(id);
    }

    [Fact]
    public async Task RunPodSandbox_HostPort_ReachesPodThroughPortmap()
    {
        var before = LeakCheck.Take(_daemon, _network, _cgroupParent);
        var hostPort = 20000 + Random.Shared.Next(20000);
        var config = Pods.Config("hostport", _cgroupParent);
        config.PortMappings.Add(new PortMapping { ContainerPort = 8080, HostPort = hostPort, Protocol = Protocol.Tcp });
        var id = await RunAsync(config);
        var (_, info) = await StatusAsync(id);
        var www = Path.Combine(_daemon.Settings.Dir, "www");
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
                    body = await http.GetStringAsync($"http://{_network.Gateway}:{hostPort}/index.html");
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
        LeakCheck.Take(_daemon, _network, _cgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_DnsConfigAndSysctls_AppliedToThePod()
    {
        var config = Pods.Config("dns", _cgroupParent);
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
        var before = LeakCheck.Take(_daemon, _network, _cgroupParent);
        var config = Pods.Config("shaped", _cgroupParent);
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
        LeakCheck.Take(_daemon, _network, _cgroupParent).AssertSameAs(before);
    }

    [Theory]
    [InlineData("kernel.hostname", "x")]
    [InlineData("net.ipv4.ip_forward", "1+kernel.core_pattern=|/bin/sh")]
    [InlineData("vm.swappiness", "10")]
    public async Task RunPodSandbox_BadSysctl_InvalidArgumentAndNothingLeft(string key, string value)
    {
        var before = LeakCheck.Take(_daemon, _network, _cgroupParent);
        var config = Pods.Config("sysctl", _cgroupParent);
        config.Linux.Sysctls[key] = value;

        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(config));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(key, e.Status.Detail);
        LeakCheck.Take(_daemon, _network, _cgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_UnknownHandler_InvalidArgumentNamingIt()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(Pods.Config("handler", _cgroupParent), "kata"));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("kata", e.Status.Detail);
        Assert.Contains("runc", e.Status.Detail);
    }

    [Fact]
    public async Task RunPodSandbox_MissingMetadata_InvalidArgument()
    {
        var config = Pods.Config("nouid", _cgroupParent);
        config.Metadata.Uid = "";

        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(config));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("uid", e.Status.Detail);
    }

    [Fact]
    public async Task RunPodSandbox_FailingCniPlugin_RollsBackEverything()
    {
        var before = LeakCheck.Take(_daemon, _network, _cgroupParent);
        var fakeDir = Path.Combine(_daemon.Settings.Dir, "fake-cni");
        Directory.CreateDirectory(fakeDir);
        var fake = Path.Combine(fakeDir, "failing");
        File.WriteAllText(fake, """
            #!/bin/sh
            cat >/dev/null
            if [ "$CNI_COMMAND" = ADD ]; then
              echo '{"cniVersion":"1.0.0","code":11,"msg":"injected failure","details":"from the test"}'
              echo "fake plugin stderr" >&2
              exit 1
            fi
            exit 0
            """);
        File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);
        var conflist = Path.Combine(_daemon.Settings.CniConfDir, "10-test.conflist");
        File.WriteAllText(conflist, _network.Conflist.Replace("""{"type":"bandwidth","capabilities":{"bandwidth":true}}""", """{"type":"failing"}"""));
        try
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(Pods.Config("cnifail", _cgroupParent)));

            Assert.Equal(StatusCode.Internal, e.StatusCode);
            Assert.Contains("CNI ADD", e.Status.Detail);
            Assert.Contains("injected failure", e.Status.Detail);
            Assert.Contains("fake plugin stderr", e.Status.Detail);
        }
        finally
        {
            File.WriteAllText(conflist, _network.Conflist);
        }
        var list = await _daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest());
        Assert.Empty(list.Items);
        LeakCheck.Take(_daemon, _network, _cgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_RuntimeCreateFails_RollsBackEverything()
    {
        var before = LeakCheck.Take(_daemon, _network, _cgroupParent);
        var config = Pods.Config("runcfail", _cgroupParent);
        // Passes our validation (a namespaced key) but does not exist: runc create fails writing it.
        config.Linux.Sysctls["net.ipv4.no_such_sysctl"] = "1";

        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(config));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("create pause container", e.Status.Detail);
        Assert.Contains("no_such_sysctl", e.Status.Detail);
        LeakCheck.Take(_daemon, _network, _cgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_RetriedWithSameMetadata_ReturnsSameId()
    {
        var config = Pods.Config("retry", _cgroupParent);

        var concurrent = await Task.WhenAll(RunAsync(config), RunAsync(config));
        var later = await RunAsync(config);

        Assert.Equal(concurrent[0], concurrent[1]);
        Assert.Equal(concurrent[0], later);
        Assert.Single((await _daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items);
        await StopAndRemoveAsync(later);
    }

    [Fact]
    public async Task StopAndRemove_Twice_AreOkAndUnknownIdIsOk()
    {
        var id = await RunAsync(Pods.Config("twice", _cgroupParent));

        await StopAndRemoveAsync(id);
        await _daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
        await _daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
        await StopAndRemoveAsync("0123456789abcdef");
    }

    [Fact]
    public async Task ListPodSandbox_FiltersByIdPrefixStateAndLabels()
    {
        var ready = await RunAsync(Pods.Config("list-a", _cgroupParent));
        var stopped = await RunAsync(Pods.Config("list-b", _cgroupParent));
        await _daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = stopped });

        async Task<List<string>> ListAsync(PodSandboxFilter filter) =>
            (await _daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = filter })).Items.Select(p => p.Id).ToList();

        Assert.Equal([ready], await ListAsync(new PodSandboxFilter { Id = ready[..12] }));
        Assert.Equal([stopped], await ListAsync(new PodSandboxFilter { State = new PodSandboxStateValue { State = PodSandboxState.SandboxNotready } }));
        Assert.Equal([ready], await ListAsync(new PodSandboxFilter { LabelSelector = { ["app"] = "list-a" } }));
        Assert.Empty(await ListAsync(new PodSandboxFilter { Id = ready[..12], LabelSelector = { ["app"] = "list-b" } }));
        Assert.Equal(2, (await ListAsync(new PodSandboxFilter())).Count);

        await StopAndRemoveAsync(ready);
        await StopAndRemoveAsync(stopped);
    }
}
