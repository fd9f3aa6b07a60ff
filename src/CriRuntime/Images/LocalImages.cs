using CriRuntime.Configuration;
using CriRuntime.Storage;

namespace CriRuntime.Images;

/// <summary>
/// The images on this node as users name them: by id ("sha256:…", bare hex, or an unambiguous id prefix), by tag
/// or by digest, normalised like a pull ("busybox" is docker.io/library/busybox:latest). Used by the CRI
/// ImageService and by container creation (<see cref="Resolve"/> gives the layer dirs and the config).
/// </summary>
internal sealed class LocalImages(DaemonOptions options, ImageStore store, BlobStore blobs, StorageLayout layout)
{
    private const int MinIdPrefix = 12;
    private readonly Lock _usageLock = new();
    private (long Generation, ulong Bytes, ulong Inodes)? _imageUsage;

    public StoredImage? Resolve(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (Digest.IsValid(text)) return store.FindById(text);
        if (text.Length == 64 && Digest.IsValid(Digest.Prefix + text)) return store.FindById(Digest.Prefix + text);
        if (ImageReference.TryParse(text, options.Image.DefaultRegistry, out var reference, out _))
        {
            var byName = (reference!.Digest is { } digest ? store.FindByName(reference.Name + "@" + digest) : null)
                ?? (reference.TaggedName is { } tagged ? store.FindByName(tagged) : null);
            if (byName is not null) return byName;
        }
        if (text.Length >= MinIdPrefix && Digest.IsValid(Digest.Prefix + text.PadRight(64, '0')))
        {
            var matches = store.FindByIdPrefix(text);
            if (matches.Count == 1) return matches[0];
        }
        return null;
    }

    /// <summary>The image config exactly as the registry served it (ImageStatus verbose shows it whole).</summary>
    public byte[] RawConfig(StoredImage image) => blobs.Read(image.Id);

    public IReadOnlyList<StoredImage> List(string? filter)
    {
        if (string.IsNullOrEmpty(filter)) return store.List();
        return Resolve(filter) is { } image ? [image] : [];
    }

    /// <summary>Removes the image a reference names, with all its tags and digests, as containerd does. Absent is fine.</summary>
    public void Remove(string text)
    {
        if (Resolve(text) is { } image) store.Remove(image.Id);
    }

    /// <summary>Usage of the image store and of the container writable layers, each (bytes, inodes, path).</summary>
    /// <remarks>
    /// Kubelet asks every few seconds; the image store only changes when an image is committed or collected, so its
    /// walk is cached per store generation. Container layers change all the time and are walked on each call.
    /// </remarks>
    public ((ulong Bytes, ulong Inodes, string Path) Images, (ulong Bytes, ulong Inodes, string Path) Containers) Usage()
    {
        (long Generation, ulong Bytes, ulong Inodes) images;
        lock (_usageLock)
        {
            var generation = store.Generation;
            if (_imageUsage is not { } cached || cached.Generation != generation)
            {
                ulong bytes = 0, inodes = 0;
                foreach (var dir in new[] { layout.Blobs, layout.Layers, layout.Images })
                {
                    var (b, i) = DiskUsage.Measure(dir);
                    bytes += b;
                    inodes += i;
                }
                _imageUsage = (generation, bytes, inodes);
            }
            images = _imageUsage.Value;
        }
        var containers = DiskUsage.Measure(layout.Containers);
        return ((images.Bytes, images.Inodes, layout.Root), (containers.Bytes, containers.Inodes, layout.Containers));
    }
}
