using System.Text.Json;
using CriRuntime.Errors;
using CriRuntime.State;
using Microsoft.Extensions.Logging;

namespace CriRuntime.Storage;

/// <summary>
/// The images on this node, by id, repo tag and repo digest, loaded at start and persisted atomically. Removing the
/// last name of an image removes it, then the layers and blobs no remaining image and no pull in progress uses.
/// The in-memory maps are guarded by one short lock; no slow work (downloads, unpacks) happens under it.
/// </summary>
internal sealed partial class ImageStore
{
    private readonly StorageLayout _layout;
    private readonly BlobStore _blobs;
    private readonly LayerStore _layers;
    private readonly RecordStore<ImageRecord> _records;
    private readonly ILogger<ImageStore> _logger;
    private readonly Dictionary<string, StoredImage> _images = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _pins = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private long _generation;

    public ImageStore(StorageLayout layout, BlobStore blobs, LayerStore layers, ILogger<ImageStore> logger)
    {
        _layout = layout;
        _blobs = blobs;
        _layers = layers;
        _logger = logger;
        _layout.Prepare();
        _records = new RecordStore<ImageRecord>(layout.Images, StorageJsonContext.Default.ImageRecord);
        foreach (var (_, record) in _records.LoadAll((path, e) => LogCorruptRecord(path, e.Message)))
        {
            try
            {
                _images[record.Id] = Open(record);
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                LogCorruptRecord(record.Id, e.Message);
            }
        }
        // Layers and blobs of a pull the daemon died in are renamed into place but belong to no image yet.
        CollectGarbage();
    }

    /// <summary>Changes whenever images, layers or blobs were added or removed (lets callers cache disk usage).</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public StoredImage? FindById(string id)
    {
        lock (_sync) return _images.GetValueOrDefault(id);
    }

    /// <summary>The image that has <paramref name="name"/> ("registry/repo:tag" or "registry/repo@sha256:...") as a repo tag or digest.</summary>
    public StoredImage? FindByName(string name)
    {
        lock (_sync) return _images.Values.FirstOrDefault(i => i.Record.RepoTags.Contains(name) || i.Record.RepoDigests.Contains(name));
    }

    /// <summary>Images whose id starts with <paramref name="hexPrefix"/>; callers accept exactly one.</summary>
    public IReadOnlyList<StoredImage> FindByIdPrefix(string hexPrefix)
    {
        lock (_sync) return _images.Values.Where(i => i.Id.AsSpan(Digest.Prefix.Length).StartsWith(hexPrefix)).ToList();
    }

    public IReadOnlyList<StoredImage> List()
    {
        lock (_sync) return _images.Values.OrderBy(i => i.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Keeps blobs and layers from garbage collection while a pull that needs them runs.</summary>
    public IDisposable Pin(IEnumerable<string> digests)
    {
        var keys = digests.Distinct().ToList();
        lock (_sync)
        {
            foreach (var key in keys) _pins[key] = _pins.GetValueOrDefault(key) + 1;
        }
        return new Unpin(this, keys);
    }

    /// <summary>
    /// Keeps an image's layers on disk while something runs from them, even if the image is removed: a container
    /// holds this from creation to removal (and takes it again at daemon start for every container it reloads).
    /// </summary>
    public IDisposable PinLayers(StoredImage image) =>
        Pin(image.Record.Layers.SelectMany(l => new[] { l.ChainId, l.Digest }).Append(image.Id));

    /// <summary>Records a pulled image under its names; a tag another image had moves here (as a re-pull of a moved tag does).</summary>
    public StoredImage Commit(ImageRecord pulled, string? tagName, string? digestName)
    {
        var orphans = false;
        StoredImage result;
        lock (_sync)
        {
            var record = _images.TryGetValue(pulled.Id, out var existing) ? existing.Record : pulled;
            record = record with
            {
                RepoTags = AddName(record.RepoTags, tagName),
                RepoDigests = AddName(record.RepoDigests, digestName),
            };
            foreach (var other in _images.Values.Where(i => i.Id != pulled.Id && tagName is not null && i.Record.RepoTags.Contains(tagName)).ToList())
            {
                orphans |= SaveOrDrop(other.Record with { RepoTags = other.Record.RepoTags.Where(t => t != tagName).ToList() });
            }
            _records.Save(Digest.Hex(record.Id), record);
            result = existing is null ? Open(record) : existing with { Record = record };
            _images[record.Id] = result;
        }
        Interlocked.Increment(ref _generation);
        if (orphans) CollectGarbage();
        return result;
    }

    /// <summary>Removes the image with every name it has, then its unshared layers and blobs.</summary>
    /// <exception cref="FailedPreconditionException">The image is pinned (the pause image) and pods run from it.</exception>
    public bool Remove(string id)
    {
        lock (_sync)
        {
            // As containerd's pinned sandbox image: refused while in use, not just kept on disk.
            if (_images.TryGetValue(id, out var image) && image.Record.Pinned && _pins.ContainsKey(id))
            {
                throw new FailedPreconditionException($"image {id} is the pinned pause image and pods are using it; remove those pods first");
            }
            if (!_images.Remove(id)) return false;
            _records.Delete(Digest.Hex(id));
        }
        CollectGarbage();
        return true;
    }

    public void SetPinned(string id, bool pinned)
    {
        lock (_sync)
        {
            if (!_images.TryGetValue(id, out var image)) throw new NotFoundException($"image {id} not found");
            var record = image.Record with { Pinned = pinned };
            _records.Save(Digest.Hex(id), record);
            _images[id] = image with { Record = record };
        }
    }

    /// <summary>Deletes layers and blobs that no image and no running pull references.</summary>
    public void CollectGarbage()
    {
        var doomed = new List<string>();
        lock (_sync)
        {
            var live = new HashSet<string>(_pins.Keys, StringComparer.Ordinal);
            foreach (var image in _images.Values)
            {
                live.Add(image.Id);
                live.Add(image.Record.ManifestDigest);
                if (image.Record.IndexDigest is { } index) live.Add(index);
                foreach (var layer in image.Record.Layers)
                {
                    live.Add(layer.Digest);
                    live.Add(layer.ChainId);
                }
            }
            // Renamed away under the lock, deleted after it: a pull never sees a half-deleted layer.
            foreach (var chainId in _layers.List().Where(c => !live.Contains(c)))
            {
                doomed.Add(MoveToTemp(_layout.LayerPath(chainId), Directory.Move));
            }
            foreach (var digest in _blobs.List().Where(d => !live.Contains(d)))
            {
                doomed.Add(MoveToTemp(_layout.BlobPath(digest), (from, to) => File.Move(from, to)));
            }
        }
        foreach (var path in doomed)
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        Interlocked.Increment(ref _generation);
    }

    private string MoveToTemp(string path, Action<string, string> move)
    {
        var temp = _layout.NewTempPath("gc");
        move(path, temp);
        return temp;
    }

    // Caller holds _sync. Returns true when the image lost its last name and was dropped.
    private bool SaveOrDrop(ImageRecord record)
    {
        if (record.RepoTags.Count == 0 && record.RepoDigests.Count == 0)
        {
            _images.Remove(record.Id);
            _records.Delete(Digest.Hex(record.Id));
            return true;
        }
        _records.Save(Digest.Hex(record.Id), record);
        _images[record.Id] = _images[record.Id] with { Record = record };
        return false;
    }

    private StoredImage Open(ImageRecord record)
    {
        var config = JsonSerializer.Deserialize(_blobs.Read(record.Id), StorageJsonContext.Default.OciImageConfig)
            ?? throw new JsonException($"image {record.Id}: config is null");
        var lowerDirs = record.Layers.Select(l => _layout.LayerDiffPath(l.ChainId)).Reverse().ToList();
        return new StoredImage(record, config, lowerDirs);
    }

    private static List<string> AddName(IReadOnlyList<string> names, string? name) =>
        name is null || names.Contains(name) ? names.ToList() : [.. names, name];

    private sealed class Unpin(ImageStore owner, List<string> keys) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            lock (owner._sync)
            {
                foreach (var key in keys)
                {
                    if (--owner._pins[key] == 0) owner._pins.Remove(key);
                }
            }
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "skipping unreadable image record {Path}: {Reason}")]
    private partial void LogCorruptRecord(string path, string reason);
}
