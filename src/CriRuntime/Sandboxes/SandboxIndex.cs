using CriRuntime.Api.V1;
using CriRuntime.Configuration;
using CriRuntime.State;

namespace CriRuntime.Sandboxes;

/// <summary>A pod in memory: its record and its decoded config.</summary>
internal sealed record Sandbox(SandboxRecord Record, PodSandboxConfig Config)
{
    public string Id => Record.Id;

    /// <summary>The identity kubelet retries with: the same key means the same pod.</summary>
    public string Key => KeyOf(Config.Metadata);

    public static string KeyOf(PodSandboxMetadata m) => $"{m.Namespace}/{m.Name}/{m.Uid}/{m.Attempt}";
}

/// <summary>Every pod record, on disk (root/sandboxes) and in memory (see <see cref="RecordIndex{TRecord, TEntry}"/>).</summary>
internal sealed partial class SandboxIndex
{
    private readonly RecordIndex<SandboxRecord, Sandbox> _index;

    public SandboxIndex(DaemonOptions options, ILogger<SandboxIndex> logger) =>
        _index = new(Path.Combine(options.Root, "sandboxes"), SandboxJsonContext.Default.SandboxRecord,
            r => new Sandbox(r, PodSandboxConfig.Parser.ParseFrom(r.Config)), s => s.Record, (path, e) => LogCorrupt(logger, e, path));

    public KeyedLocks Locks => _index.Locks;

    public IEnumerable<Sandbox> All => _index.All;

    public Sandbox? Get(string id) => _index.Get(id);

    public Sandbox? FindByKey(string key) => _index.All.FirstOrDefault(s => s.Key == key);

    public void Save(Sandbox sandbox) => _index.Save(sandbox.Id, sandbox);

    public void Delete(string id) => _index.Delete(id);

    [LoggerMessage(EventId = 5401, Level = LogLevel.Error, Message = "skipping unreadable sandbox record {Path}")]
    private static partial void LogCorrupt(ILogger logger, Exception e, string path);
}
