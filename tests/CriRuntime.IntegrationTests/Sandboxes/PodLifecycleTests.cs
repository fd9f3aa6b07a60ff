using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Sandboxes;

/// <summary>Run/Stop/Remove/Status/List as kubelet sees them: rollback, retries, idempotence, filters, restart.</summary>
[Collection("pods")]
public sealed class PodLifecycleTests(ITestOutputHelper output) : PodTestBase(output)
{
    [Fact]
    public async Task RunPodSandbox_BridgeNetwork_PodGetsIpAndIsReady()
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);

        var id = (await Daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = Pods.Config("web", CgroupParent) })).PodSandboxId;

        var status = await Daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true });
        Assert.Equal(PodSandboxState.SandboxReady, status.Status.State);
        Assert.StartsWith(Network.Subnet[..^"0/24".Length], status.Status.Network.Ip);
        Assert.Equal(Pods.DefaultHandler, status.Status.RuntimeHandler);
        Assert.Equal("web", status.Status.Metadata.Name);
        using var info = JsonDocument.Parse(status.Info["info"]);
        var netns = info.RootElement.GetProperty("netnsPath").GetString()!;
        Assert.True(info.RootElement.GetProperty("pid").GetInt32() > 0);
        var addr = Pods.InNetns(netns, "ip", "-4", "addr", "show", "eth0");
        Assert.Contains(status.Status.Network.Ip + "/24", addr.Stdout);
        Assert.Contains("UP", Pods.InNetns(netns, "ip", "link", "show", "lo").Stdout);
        var pid = info.RootElement.GetProperty("pid").GetInt32();
        Assert.Contains($"{CgroupParent}/{id}", File.ReadAllText($"/proc/{pid}/cgroup"));
        var shm = File.ReadLines("/proc/self/mountinfo").Single(l => l.Contains($"/sandboxes/{id}/shm "));
        Assert.Contains("tmpfs", shm);
        Assert.Contains("size=65536k", shm);

        await Daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
        var stopped = await Daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id });
        Assert.Equal(PodSandboxState.SandboxNotready, stopped.Status.State);
        await Daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await Daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_Concurrent_DistinctReadyPodsAndNothingLeft()
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);

        var ids = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => RunAsync(Pods.Config($"par-{i}", CgroupParent))));

        var ips = new List<string>();
        foreach (var id in ids)
        {
            var (status, _) = await StatusAsync(id);
            Assert.Equal(PodSandboxState.SandboxReady, status.State);
            ips.Add(status.Network.Ip);
        }
        Assert.Equal(5, ips.Distinct().Count());
        await Task.WhenAll(ids.Select(StopAndRemoveAsync));
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task DaemonRestart_PodKeepsRunningAndIsStillStoppable()
    {
        var id = await RunAsync(Pods.Config("survivor", CgroupParent));
        var (before, info) = await StatusAsync(id);

        await Daemon.RestartAsync();

        var (after, infoAfter) = await StatusAsync(id);
        Assert.Equal(PodSandboxState.SandboxReady, after.State);
        Assert.Equal(before.Network.Ip, after.Network.Ip);
        Assert.Equal(before.CreatedAt, after.CreatedAt);
        var pid = infoAfter.GetProperty("pid").GetInt32();
        Assert.Equal(info.GetProperty("pid").GetInt32(), pid);
        Assert.True(Directory.Exists($"/proc/{pid}"), "the pause must outlive the daemon");
        await StopAndRemoveAsync(id);
        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.Empty(Network.Allocations());
    }

    [Theory]
    [InlineData("kernel.hostname", "x")]
    [InlineData("net.ipv4.ip_forward", "1+kernel.core_pattern=|/bin/sh")]
    [InlineData("vm.swappiness", "10")]
    public async Task RunPodSandbox_BadSysctl_InvalidArgumentAndNothingLeft(string key, string value)
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);
        var config = Pods.Config("sysctl", CgroupParent);
        config.Linux.Sysctls[key] = value;

        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(config));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(key, e.Status.Detail);
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_UnknownHandler_InvalidArgumentNamingIt()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(Pods.Config("handler", CgroupParent), "kata"));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("kata", e.Status.Detail);
        Assert.Contains("runc", e.Status.Detail);
    }

    [Theory]
    [InlineData("criruntime", "launch")]
    [InlineData("runc", "runc")]
    public async Task RunPodSandbox_EachHandler_RunsAndLeavesNothing(string handler, string stateDir)
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);
        var state = Path.Combine(Daemon.Settings.Dir, stateDir);

        var id = await RunAsync(Pods.Config("handler-" + handler, CgroupParent), handler);

        var (status, info) = await StatusAsync(id);
        Assert.Equal(PodSandboxState.SandboxReady, status.State);
        Assert.Equal(handler, status.RuntimeHandler);
        Assert.NotEmpty(status.Network.Ip);
        var pid = info.GetProperty("pid").GetInt32();
        Assert.Contains("NSpid:\t" + pid + "\t1", File.ReadAllText($"/proc/{pid}/status"));
        Assert.Contains($"{CgroupParent}/{id}", File.ReadAllText($"/proc/{pid}/cgroup"));
        Assert.Contains(id, Directory.GetFileSystemEntries(state).Select(Path.GetFileName));
        await StopAndRemoveAsync(id);
        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.DoesNotContain(id, Directory.GetFileSystemEntries(state).Select(Path.GetFileName));
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_HandlerNotInstalled_FailedPreconditionNamingPath()
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);

        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(Pods.Config("missing", CgroupParent), "missing"));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("/nonexistent/oci-runtime", e.Status.Detail);
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_MissingMetadata_InvalidArgument()
    {
        var config = Pods.Config("nouid", CgroupParent);
        config.Metadata.Uid = "";

        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(config));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("uid", e.Status.Detail);
    }

    [Fact]
    public async Task RunPodSandbox_FailingCniPlugin_RollsBackEverything()
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);
        var fakeDir = Path.Combine(Daemon.Settings.Dir, "fake-cni");
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
        var conflist = Path.Combine(Daemon.Settings.CniConfDir, "10-test.conflist");
        File.WriteAllText(conflist, Network.Conflist.Replace("""{"type":"bandwidth","capabilities":{"bandwidth":true}}""", """{"type":"failing"}"""));
        try
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(Pods.Config("cnifail", CgroupParent)));

            Assert.Equal(StatusCode.Internal, e.StatusCode);
            Assert.Contains("CNI ADD", e.Status.Detail);
            Assert.Contains("injected failure", e.Status.Detail);
            Assert.Contains("fake plugin stderr", e.Status.Detail);
        }
        finally
        {
            File.WriteAllText(conflist, Network.Conflist);
        }
        var list = await Daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest());
        Assert.Empty(list.Items);
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_RuntimeCreateFails_RollsBackEverything()
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);
        var config = Pods.Config("runcfail", CgroupParent);
        // Passes our validation (a namespaced key) but does not exist: runc create fails writing it.
        config.Linux.Sysctls["net.ipv4.no_such_sysctl"] = "1";

        var e = await Assert.ThrowsAsync<RpcException>(() => RunAsync(config));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("create pause container", e.Status.Detail);
        Assert.Contains("no_such_sysctl", e.Status.Detail);
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before);
    }

    [Fact]
    public async Task RunPodSandbox_RetriedWithSameMetadata_ReturnsSameId()
    {
        var config = Pods.Config("retry", CgroupParent);

        var concurrent = await Task.WhenAll(RunAsync(config), RunAsync(config));
        var later = await RunAsync(config);

        Assert.Equal(concurrent[0], concurrent[1]);
        Assert.Equal(concurrent[0], later);
        Assert.Single((await Daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items);
        await StopAndRemoveAsync(later);
    }

    [Fact]
    public async Task StopAndRemove_Twice_AreOkAndUnknownIdIsOk()
    {
        var id = await RunAsync(Pods.Config("twice", CgroupParent));

        await StopAndRemoveAsync(id);
        await Daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
        await Daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
        await StopAndRemoveAsync("0123456789abcdef");
    }

    [Fact]
    public async Task ListPodSandbox_FiltersByIdPrefixStateAndLabels()
    {
        var ready = await RunAsync(Pods.Config("list-a", CgroupParent));
        var stopped = await RunAsync(Pods.Config("list-b", CgroupParent));
        await Daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = stopped });

        async Task<List<string>> ListAsync(PodSandboxFilter filter) =>
            (await Daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = filter })).Items.Select(p => p.Id).ToList();

        Assert.Equal([ready], await ListAsync(new PodSandboxFilter { Id = ready[..12] }));
        Assert.Equal([stopped], await ListAsync(new PodSandboxFilter { State = new PodSandboxStateValue { State = PodSandboxState.SandboxNotready } }));
        Assert.Equal([ready], await ListAsync(new PodSandboxFilter { LabelSelector = { ["app"] = "list-a" } }));
        Assert.Empty(await ListAsync(new PodSandboxFilter { Id = ready[..12], LabelSelector = { ["app"] = "list-b" } }));
        Assert.Equal(2, (await ListAsync(new PodSandboxFilter())).Count);

        await StopAndRemoveAsync(ready);
        await StopAndRemoveAsync(stopped);
    }

    [Fact]
    public async Task DaemonKilledDuringCreation_RestartUndoesThePod()
    {
        var before = LeakCheck.Take(Daemon, Network, CgroupParent);
        var fakeDir = Path.Combine(Daemon.Settings.Dir, "fake-cni");
        Directory.CreateDirectory(fakeDir);
        File.WriteAllText(Path.Combine(fakeDir, "slow"), """
            #!/bin/sh
            cat >/dev/null
            [ "$CNI_COMMAND" = ADD ] && exec sleep 3
            exit 0
            """);
        File.SetUnixFileMode(Path.Combine(fakeDir, "slow"), (UnixFileMode)0b111_101_101);
        var conflist = Path.Combine(Daemon.Settings.CniConfDir, "10-test.conflist");
        File.WriteAllText(conflist, Network.Conflist.Replace("""{"type":"bandwidth","capabilities":{"bandwidth":true}}""", """{"type":"slow"}"""));
        var records = Path.Combine(Daemon.Settings.Root, "sandboxes");
        try
        {
            var run = RunAsync(Pods.Config("interrupted", CgroupParent));
            // The bridge has allocated an IP and the slow plugin holds ADD open: the daemon dies mid-creation.
            for (var i = 0; i < 500 && Network.Allocations().Count == 0; i++) await Task.Delay(20);
            Assert.Contains("\"creating\"", File.ReadAllText(Directory.GetFiles(records).Single()));
            await Daemon.KillAsync();
            await Assert.ThrowsAsync<RpcException>(() => run);
        }
        finally
        {
            File.WriteAllText(conflist, Network.Conflist);
        }

        await Daemon.RestartAsync();

        for (var i = 0; i < 200 && Directory.GetFiles(records).Length > 0; i++) await Task.Delay(50);
        Assert.Empty((await Daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items);
        LeakCheck.Take(Daemon, Network, CgroupParent).AssertSameAs(before, "daemon fds");
    }
}
