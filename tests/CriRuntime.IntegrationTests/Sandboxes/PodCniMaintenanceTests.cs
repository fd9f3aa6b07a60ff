using System.Security.Cryptography;
using System.Text.Json;
using CriRuntime.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Sandboxes;

/// <summary>CNI CHECK through verbose PodSandboxStatus, and the release of leaked host-local allocations at start.</summary>
[Collection("pods")]
public sealed class PodCniMaintenanceTests(ITestOutputHelper output) : PodTestBase(output)
{
    [Fact]
    public async Task PodSandboxStatus_Verbose_ReportsCniCheckOkThenFailedOnceBrokenThenSkippedWhenStopped()
    {
        var id = await RunAsync(Pods.Config("check", CgroupParent));

        var (_, info) = await StatusAsync(id);
        Assert.Equal("ok", info.GetProperty("cniCheck").GetProperty("result").GetString());

        // Break the attachment behind the runtime's back: bridge's CHECK must notice the missing interface.
        var netns = info.GetProperty("netnsPath").GetString()!;
        Assert.Equal(0, Pods.InNetns(netns, "ip", "link", "del", "eth0").ExitCode);
        var (_, broken) = await StatusAsync(id);
        Assert.Equal("failed", broken.GetProperty("cniCheck").GetProperty("result").GetString());
        Assert.Contains("bridge", broken.GetProperty("cniCheck").GetProperty("detail").GetString());

        await Daemon.Runtime.StopPodSandboxAsync(new() { PodSandboxId = id });
        var (_, stopped) = await StatusAsync(id);
        Assert.Equal("skipped", stopped.GetProperty("cniCheck").GetProperty("result").GetString());
        await Daemon.Runtime.RemovePodSandboxAsync(new() { PodSandboxId = id });
    }

    [Fact]
    public async Task DaemonStart_LeakedAllocationOfOurs_IsReleasedAndOthersKept()
    {
        var live = await RunAsync(Pods.Config("live", CgroupParent));
        var dir = Path.Combine(Network.DataDir, Network.Name);
        var prefix = Network.Subnet[..^"0/24".Length];
        var liveFile = Directory.GetFiles(dir).Single(f => File.ReadLines(f).FirstOrDefault()?.Trim() == live);
        var leakedId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var leaked = Path.Combine(dir, prefix + "250");
        var foreign = Path.Combine(dir, prefix + "251");
        try
        {
            await Daemon.StopAsync();
            // As host-local writes them: the container id, then the interface name.
            File.WriteAllText(leaked, leakedId + "\r\neth0");
            File.WriteAllText(foreign, "other-runtime-sandbox-1\r\neth0");

            await Daemon.RestartAsync();

            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (File.Exists(leaked) && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.False(File.Exists(leaked), "the leaked allocation of a pod that no longer exists is still there");
            Assert.True(File.Exists(liveFile), "the live pod's allocation was removed");
            Assert.True(File.Exists(foreign), "another runtime's allocation was removed");
            Assert.Contains("released leaked host-local allocation", Daemon.Log);
        }
        finally
        {
            File.Delete(foreign);
            File.Delete(leaked);
        }
        await StopAndRemoveAsync(live);
    }

    [Fact]
    public async Task DaemonStart_Cni11PluginsThatSupportGc_GetGcWithTheLivePodsAsValidAttachments()
    {
        var live = await RunAsync(Pods.Config("gc-live", CgroupParent));
        var fakeDir = Path.Combine(Daemon.Settings.Dir, "fake-cni");
        Directory.CreateDirectory(fakeDir);
        var gcInput = Path.Combine(Daemon.Settings.Dir, "gc-input.json");
        var plugin = Path.Combine(fakeDir, "gc-recorder");
        File.WriteAllText(plugin, $$"""
            #!/bin/sh
            case "$CNI_COMMAND" in
              VERSION) cat >/dev/null; echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}' ;;
              GC) [ -z "$CNI_CONTAINERID" ] && cat >"{{gcInput}}" ;;
              *) cat >/dev/null ;;
            esac
            """);
        File.SetUnixFileMode(plugin, (UnixFileMode)0b111_101_101);
        // After the pods' network in lexical order: pods keep using that one.
        var conflist = Path.Combine(Daemon.Settings.CniConfDir, "99-gc.conflist");
        File.WriteAllText(conflist, """{"cniVersion":"1.1.0","name":"gcnet","plugins":[{"type":"gc-recorder"}]}""");
        try
        {
            await Daemon.RestartAsync();

            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!File.Exists(gcInput) && DateTime.UtcNow < deadline) await Task.Delay(100);
            using var input = JsonDocument.Parse(File.ReadAllText(gcInput));
            Assert.Equal("gcnet", input.RootElement.GetProperty("name").GetString());
            var attachments = input.RootElement.GetProperty("cni.dev/valid-attachments").EnumerateArray()
                .Select(a => (a.GetProperty("containerID").GetString(), a.GetProperty("ifname").GetString())).ToList();
            Assert.Equal([(live, "eth0")], attachments);
        }
        finally
        {
            File.Delete(conflist);
        }
        await StopAndRemoveAsync(live);
    }
}
