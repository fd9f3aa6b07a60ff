namespace CriRuntime.Storage;

/// <summary>
/// Where image storage lives under <c>root/storage</c> (see docs/STATE.md): content-addressed blobs, unpacked
/// layers by chain id, image records, and tmp for work in progress that is renamed into place when complete.
/// </summary>
internal sealed class StorageLayout
{
    public StorageLayout(string daemonRoot)
    {
        Root = Path.Combine(daemonRoot, "storage");
        Blobs = Path.Combine(Root, "blobs", "sha256");
        Layers = Path.Combine(Root, "layers");
        Images = Path.Combine(Root, "images");
        Temp = Path.Combine(Root, "tmp");
        Containers = Path.Combine(Root, "containers");
    }

    public string Root { get; }
    public string Blobs { get; }
    public string Layers { get; }
    public string Images { get; }
    public string Temp { get; }

    /// <summary>Writable container layers (owned by the containers engineer); reported by ImageFsInfo.</summary>
    public string Containers { get; }

    public string BlobPath(string digest) => Path.Combine(Blobs, Digest.Hex(digest));

    /// <summary>The directory of a layer and all below it; its <c>diff</c> subdirectory is the overlay lower dir.</summary>
    public string LayerPath(string chainId) => Path.Combine(Layers, Digest.Hex(chainId));

    public string LayerDiffPath(string chainId) => Path.Combine(LayerPath(chainId), "diff");

    public string NewTempPath(string kind) => Path.Combine(Temp, $"{kind}-{Guid.NewGuid():N}");

    /// <summary>Creates the directories and drops leftovers of work a crash interrupted.</summary>
    public void Prepare()
    {
        foreach (var dir in new[] { Blobs, Layers, Images, Containers })
        {
            Directory.CreateDirectory(dir);
        }
        if (Directory.Exists(Temp)) Directory.Delete(Temp, recursive: true);
        Directory.CreateDirectory(Temp);
    }
}
