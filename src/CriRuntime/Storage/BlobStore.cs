using CriRuntime.Linux;

namespace CriRuntime.Storage;

/// <summary>
/// Content-addressed blobs (manifests, configs, compressed layers). A blob is written to tmp while its digest and
/// size are checked, and renamed into <c>blobs/sha256/&lt;hex&gt;</c> only when both match.
/// </summary>
internal sealed class BlobStore(StorageLayout layout)
{
    public bool Contains(string digest) => File.Exists(layout.BlobPath(digest));

    public byte[] Read(string digest) => File.ReadAllBytes(layout.BlobPath(digest));

    /// <summary>Stores a blob held in memory (manifests and configs are small).</summary>
    public void Write(string digest, ReadOnlySpan<byte> content)
    {
        var actual = Digest.Of(content);
        if (actual != digest)
        {
            throw new Errors.OperationFailedException($"blob {digest}: digest mismatch: got {actual}");
        }
        if (Contains(digest)) return;
        var temp = layout.NewTempPath("blob");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }
            Commit(temp, digest);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Moves a verified temp file into place; a concurrent writer of the same content is harmless.</summary>
    public void Commit(string tempPath, string digest)
    {
        File.Move(tempPath, layout.BlobPath(digest), overwrite: true);
        FileSystem.FsyncDirectory(layout.Blobs);
    }

    public void Delete(string digest) => File.Delete(layout.BlobPath(digest));

    public IEnumerable<string> List() =>
        Directory.EnumerateFiles(layout.Blobs).Select(p => Digest.Prefix + Path.GetFileName(p)).Where(Digest.IsValid);
}
