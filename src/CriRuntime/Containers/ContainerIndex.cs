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

/// <summary>Every container record, on disk (root/containers) and in memory (see <see cref="RecordIndex{TRecord, TEntry}"/>).</summary>
internal sealed partial class ContainerIndex
{
    private readonly RecordIndex<ContainerRecord, Container> _index;

    public ContainerIndex(DaemonOptions options, ILogger<ContainerIndex> logger) =>
        _index = new(Path.Combine(options.Root, "containers"), ContainerJsonContext.Default.ContainerRecord,
            r => new Container(r, ContainerConfig.Parser.ParseFrom(r.Config)), c => c.Record, (path, e) => LogCorrupt(logger, e, path));

    public KeyedLocks Locks => _index.Locks;

    public IEnumerable<Container> All => _index.All;

    public Container? Get(string id) => _index.Get(id);

    public IEnumerable<Container> OfSandbox(string sandboxId) => _index.All.Where(c => c.Record.SandboxId == sandboxId);

    public Container? FindByKey(string key) => _index.All.FirstOrDefault(c => c.Key == key);

    public void Save(Container container) => _index.Save(container.Id, container);

    public void Delete(string id) => _index.Delete(id);

    [LoggerMessage(EventId = 6401, Level = LogLevel.Error, Message = "skipping unreadable container record {Path}")]
    private static partial void LogCorrupt(ILogger logger, Exception e, string path);
}
