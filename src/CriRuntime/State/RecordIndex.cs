using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;

namespace CriRuntime.State;

/// <summary>
/// Every record of one kind, on disk (a <see cref="RecordStore{T}"/>) and in memory as decoded entries. Reads are
/// served from memory; the caller holds the object's lock (<see cref="Locks"/>) around Save and Delete.
/// </summary>
/// <typeparam name="TRecord">What is persisted.</typeparam>
/// <typeparam name="TEntry">What callers use: the record plus what is decoded from it once.</typeparam>
internal sealed class RecordIndex<TRecord, TEntry> where TRecord : class
{
    private readonly ConcurrentDictionary<string, TEntry> _entries = new(StringComparer.Ordinal);
    private readonly RecordStore<TRecord> _store;
    private readonly Func<TEntry, TRecord> _recordOf;

    /// <param name="onCorrupt">Told about each record that cannot be read (it is skipped).</param>
    public RecordIndex(string directory, JsonTypeInfo<TRecord> typeInfo, Func<TRecord, TEntry> decode, Func<TEntry, TRecord> recordOf,
        Action<string, Exception> onCorrupt)
    {
        _store = new RecordStore<TRecord>(directory, typeInfo);
        _recordOf = recordOf;
        Directory.CreateDirectory(directory);
        foreach (var (id, record) in _store.LoadAll(onCorrupt)) _entries[id] = decode(record);
    }

    public KeyedLocks Locks { get; } = new();

    public IEnumerable<TEntry> All => _entries.Values;

    public TEntry? Get(string id) => _entries.TryGetValue(id, out var e) ? e : default;

    public void Save(string id, TEntry entry)
    {
        _store.Save(id, _recordOf(entry));
        _entries[id] = entry;
    }

    public void Delete(string id)
    {
        _store.Delete(id);
        _entries.TryRemove(id, out _);
    }
}
