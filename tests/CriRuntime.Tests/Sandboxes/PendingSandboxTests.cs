using CriRuntime.Api.V1;
using CriRuntime.Configuration;
using CriRuntime.Sandboxes;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriRuntime.Tests.Sandboxes;

public sealed class PendingSandboxTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pending-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Update_ConcurrentBranches_BothFieldsPersisted()
    {
        var options = new DaemonOptions { Root = _root };
        var config = new PodSandboxConfig { Metadata = new PodSandboxMetadata { Name = "web", Namespace = "default", Uid = "u1" } };
        var record = new SandboxRecord
        {
            Id = new string('a', 64),
            State = SandboxStates.Creating,
            Config = config.ToByteArray(),
            Handler = "runc",
            Dir = "/run/x",
            CgroupsPath = "/criruntime/x",
        };
        var pending = new PendingSandbox(new SandboxIndex(options, NullLogger<SandboxIndex>.Instance), new Sandbox(record, config));
        pending.Update(r => r);

        // As RunPodSandbox's CNI and pause branches: each persists its own fields, many times, at the same time.
        using var start = new Barrier(2);
        var cni = Task.Run(() => { start.SignalAndWait(); for (var i = 1; i <= 50; i++) pending.Update(r => r with { CniResult = $"{{\"n\":{i}}}" }); });
        var pause = Task.Run(() => { start.SignalAndWait(); for (var i = 1; i <= 50; i++) pending.Update(r => r with { PausePid = i }); });
        await Task.WhenAll(cni, pause);

        var reloaded = new SandboxIndex(options, NullLogger<SandboxIndex>.Instance).Get(record.Id)!.Record;
        Assert.Equal(("{\"n\":50}", 50), (reloaded.CniResult, reloaded.PausePid));
        Assert.Equal((reloaded.CniResult, reloaded.PausePid), (pending.Current.Record.CniResult, pending.Current.Record.PausePid));
    }
}
