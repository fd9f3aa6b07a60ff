using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CriRuntime.State;

/// <summary>
/// A directory of JSON records, one file per object (`{dir}/{id}.json`), each written atomically.
/// The caller holds the object's lock around Save/Delete; this type adds no locking of its own.
/// </summary>
internal sealed class RecordStore<T>(string directory, JsonTypeInfo<T> typeInfo) where T : class
{
    public string Directory { get; } = directory;

    public void Save(string id, T record) =>
        AtomicFile.Write(PathOf(id), JsonSerializer.SerializeToUtf8Bytes(record, typeInfo));

    public T? Load(string id)
    {
        var path = PathOf(id);
        return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), typeInfo) : null;
    }

    public void Delete(string id)
    {
        File.Delete(PathOf(id));
        Linux.FileSystem.FsyncDirectory(Directory);
    }

    /// <summary>Every record on disk; unreadable ones are reported to <paramref name="onCorrupt"/> and skipped.</summary>
    public IEnumerable<(string Id, T Record)> LoadAll(Action<string, Exception> onCorrupt)
    {
        if (!System.IO.Directory.Exists(Directory)) yield break;
        AtomicFile.RemoveTempFiles(Directory);
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
        {
            var id = Path.GetFileNameWithoutExtension(path);
            T? record = null;
            try
            {
                record = JsonSerializer.Deserialize(File.ReadAllBytes(path), typeInfo);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                onCorrupt(path, e);
            }
            if (record is not null) yield return (id, record);
        }
    }

    private string PathOf(string id)
    {
        // Ids come from us (hex) but a record path must never be steerable out of its directory.
        if (id.Length == 0 || id.Contains('/') || id.Contains('\0') || id is "." or "..")
        {
            throw new ArgumentException($"invalid record id '{id}'", nameof(id));
        }
        return Path.Combine(Directory, id + ".json");
    }
}
