using CriRuntime.Configuration;
using CriRuntime.Storage;

namespace CriRuntime.Images;

/// <summary>
/// The images on this node as users name them: by id ("sha256:…", bare hex, or an unambiguous id prefix), by tag
/// or by digest, normalised like a pull ("busybox" is docker.io/library/busybox:latest). Used by the CRI
/// ImageService and by container creation (<see cref="Resolve"/> gives the layer dirs and the config).
/// </summary>
internal sealed class LocalImages(DaemonOptions options, ImageStore store, StorageLayout layout)
{
    private const int MinIdPrefix = 12;

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
    public ((ulong Bytes, ulong Inodes, string Path) Images, (ulong Bytes, ulong Inodes, string Path) Containers) Usage()
    {
        ulong bytes = 0, inodes = 0;
        foreach (var dir in new[] { layout.Blobs, layout.Layers, layout.Images, layout.Temp })
        {
            var (b, i) = DiskUsage.Measure(dir);
            bytes += b;
            inodes += i;
        }
        var containers = DiskUsage.Measure(layout.Containers);
        return ((bytes, inodes, layout.Root), (containers.Bytes, containers.Inodes, layout.Containers));
    }
}
