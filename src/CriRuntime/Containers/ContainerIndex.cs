using System.Collections.Concurrent;
using CriRuntime.Api.V1;
using CriRuntime.Configuration;
using CriRuntime.State;

namespace CriRuntime.Containers;

/// <summary>A container in memory: its record and its decoded config.</summary>
internal sealed record Container(ContainerRecord Record, ContainerConfig Config)
{
    public string Id => Record.Id;

    /// <summary>A pod's container names are unique per attempt: kubelet's retries use the same key.</summary>
    public string Key => KeyOf(Record.SandboxId, Config.Metadata);

    public static string KeyOf(string sandboxId, ContainerMetadata m) => $"{sandboxId}/{m.Name}/{m.Attempt}";
}

/// <summary>
/// Every container record, on disk (root/containers) and in memory. Reads are served from memory; the caller holds
/// the container's lock around Save/Delete.
/// </summary>
internal sealed partial class ContainerIndex
{
    private readonly ConcurrentDictionary<string, Container> _containers = new(StringComparer.Ordinal);
    private readonly RecordStore<ContainerRecord> _store;

    public ContainerIndex(DaemonOptions options, ILogger<ContainerIndex> logger)
    {
        _store = new RecordStore<ContainerRecord>(Path.Combine(options.Root, "containers"), ContainerJsonContext.Default.ContainerRecord);
        Directory.CreateDirectory(_store.Directory);
        foreach (var (id, record) in _store.LoadAll((path, e) => LogCorrupt(logger, e, path)))
        {
            _containers[id] = new Container(record, ContainerConfig.Parser.ParseFrom(record.Config));
        }
    }

    public KeyedLocks Locks { get; } = new();

    public IEnumerable<Container> All => _containers.Values;

    public Container? Get(string id) => _containers.TryGetValue(id, out var c) ? c : null;

    public IEnumerable<Container> OfSandbox(string sandboxId) => _containers.Values.Where(c => c.Record.SandboxId == sandboxId);

    public Container? FindByKey(string key) => _containers.Values.FirstOrDefault(c => c.Key == key);

    public void Save(Container container)
    {
        _store.Save(container.Id, container.Record);
        _containers[container.Id] = container;
    }

    public void Delete(string id)
    {
        _store.Delete(id);
        _containers.TryRemove(id, out _);
    }

    [LoggerMessage(EventId = 6401, Level = LogLevel.Error, Message = "skipping unreadable container record {Path}")]
    private static partial void LogCorrupt(ILogger logger, Exception e, string path);
}
