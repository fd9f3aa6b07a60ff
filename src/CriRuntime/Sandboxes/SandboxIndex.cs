using System.Collections.Concurrent;
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

/// <summary>
/// Every pod record, on disk (root/sandboxes) and in memory. Reads (List, Status) are served from memory;
/// the caller holds the pod's lock around Save/Delete.
/// </summary>
internal sealed partial class SandboxIndex
{
    private readonly ConcurrentDictionary<string, Sandbox> _sandboxes = new(StringComparer.Ordinal);
    private readonly RecordStore<SandboxRecord> _store;

    public SandboxIndex(DaemonOptions options, ILogger<SandboxIndex> logger)
    {
        _store = new RecordStore<SandboxRecord>(Path.Combine(options.Root, "sandboxes"), SandboxJsonContext.Default.SandboxRecord);
        Directory.CreateDirectory(_store.Directory);
        foreach (var (id, record) in _store.LoadAll((path, e) => LogCorrupt(logger, e, path)))
        {
            _sandboxes[id] = new Sandbox(record, PodSandboxConfig.Parser.ParseFrom(record.Config));
        }
    }

    public KeyedLocks Locks { get; } = new();

    public IEnumerable<Sandbox> All => _sandboxes.Values;

    public Sandbox? Get(string id) => _sandboxes.TryGetValue(id, out var s) ? s : null;

    public Sandbox? FindByKey(string key) => _sandboxes.Values.FirstOrDefault(s => s.Key == key);

    public void Save(Sandbox sandbox)
    {
        _store.Save(sandbox.Id, sandbox.Record);
        _sandboxes[sandbox.Id] = sandbox;
    }

    public void Delete(string id)
    {
        _store.Delete(id);
        _sandboxes.TryRemove(id, out _);
    }

    [LoggerMessage(EventId = 5401, Level = LogLevel.Error, Message = "skipping unreadable sandbox record {Path}")]
    private static partial void LogCorrupt(ILogger logger, Exception e, string path);
}
