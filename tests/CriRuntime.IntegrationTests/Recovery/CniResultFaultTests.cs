using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Containers;
using CriRuntime.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Recovery;

/// <summary>
/// The daemon dies after a successful CNI ADD and before the pod is ready: the undo at the next start runs DEL
/// with the ADD's result as prevResult (CNI 1.0), which only works if the result was persisted as soon as ADD
/// returned. A recorder plugin after the bridge writes every stdin it gets to a file.
/// </summary>
public sealed class CniResultFaultTests(ITestOutputHelper output, ContainerImages images) : RecoveryTestBase(output, images)
{
    private const string Failpoint = "pod.run.after-cni-result";

    private string RecorderLog => Path.Combine(Daemon.Settings.Dir, "recorder.log");

    protected override void Configure(DaemonSettings settings)
    {
        base.Configure(settings);
        var dir = Path.Combine(settings.Dir, "fake-cni");
        Directory.CreateDirectory(dir);
        var plugin = Path.Combine(dir, "recorder");
        // A chained plugin that passes the previous result on, as a meta plugin does.
        File.WriteAllText(plugin, $$"""
            #!/usr/bin/python3
            import json, os, sys
            conf = json.load(sys.stdin)
            with open("{{Path.Combine(settings.Dir, "recorder.log")}}", "a") as f:
                f.write(json.dumps({"command": os.environ["CNI_COMMAND"], "id": os.environ["CNI_CONTAINERID"], "prevResult": conf.get("prevResult")}) + "\n")
            if os.environ["CNI_COMMAND"] == "ADD":
                print(json.dumps(conf["prevResult"]))
            """);
        File.SetUnixFileMode(plugin, (UnixFileMode)0b111_101_101);
        settings.CniPluginDirs.Insert(0, dir);
        var conflist = Network.Conflist.Replace("""{"type":"bandwidth","capabilities":{"bandwidth":true}}""", """{"type":"recorder"}""");
        Assert.NotEqual(Network.Conflist, conflist);
        File.WriteAllText(Path.Combine(settings.CniConfDir, "10-test.conflist"), conflist);
    }

    [Fact]
    public async Task RunPodSandbox_DaemonKilledAfterCniResultSaved_UndoDelCarriesPrevResultAndReleasesIp()
    {
        var before = Leaks();
        await ArmAsync(Failpoint);
        var config = NetworkPodConfig("cni-result");
        await ExpectCrashAsync(Failpoint, () => Daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config }).ResponseAsync);

        // The crash came after ADD: the address is allocated and the record, still creating, holds the result.
        var id = Calls().Single(c => c.Command == "ADD").Id;
        var ip = Assert.Single(Network.Allocations());
        using (var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(Daemon.Settings.Root, "sandboxes", id + ".json"))))
        {
            Assert.Equal("creating", record.RootElement.GetProperty("state").GetString());
            Assert.Contains(ip, record.RootElement.GetProperty("cni_result").GetString());
        }

        await RecoverAsync();

        Assert.Empty(await ListPodsAsync());
        Assert.Empty(Network.Allocations());
        var del = Calls().First(c => c.Command == "DEL" && c.Id == id);
        Assert.Equal(JsonValueKind.Object, del.PrevResult.ValueKind);
        Assert.Contains(ip + "/", del.PrevResult.GetRawText());
        Leaks().AssertSameAs(before, "daemon fds");
    }

    private List<(string Command, string Id, JsonElement PrevResult)> Calls() =>
        File.ReadAllLines(RecorderLog).Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .Select(c => (c.GetProperty("command").GetString()!, c.GetProperty("id").GetString()!, c.GetProperty("prevResult"))).ToList();
}
