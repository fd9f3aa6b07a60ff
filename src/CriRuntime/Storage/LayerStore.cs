using System.IO.Compression;
using CriRuntime.Errors;
using CriRuntime.Linux;

namespace CriRuntime.Storage;

/// <param name="Digest">Of the compressed blob, as the manifest lists it.</param>
/// <param name="DiffId">Of the uncompressed tar, as the image config lists it.</param>
/// <param name="ChainId">Names this layer together with all below it; the directory name.</param>
internal sealed record LayerDescriptor(string Digest, long Size, string MediaType, string DiffId, string ChainId);

/// <summary>
/// Unpacked layers, one directory per chain id, shared by every image that has that stack. A layer is downloaded,
/// verified, stored as a blob and unpacked in one streaming pass into tmp, then renamed into place; concurrent
/// requests for the same layer wait for the one already running.
/// </summary>
internal sealed class LayerStore(StorageLayout layout, BlobStore blobs)
{
    private const int CopyBufferSize = 1 << 17;
    private readonly Dictionary<string, Task> _inFlight = new(StringComparer.Ordinal);

    public bool Contains(string chainId) => Directory.Exists(layout.LayerDiffPath(chainId));

    /// <summary>Makes the layer present, from the local blob if there is one, else from <paramref name="download"/>.</summary>
    public Task EnsureAsync(LayerDescriptor layer, Func<CancellationToken, Task<Stream>> download, CancellationToken cancellationToken)
    {
        Task task;
        lock (_inFlight)
        {
            if (Contains(layer.ChainId)) return Task.CompletedTask;
            if (!_inFlight.TryGetValue(layer.ChainId, out task!))
            {
                Func<CancellationToken, Task<Stream>> open = blobs.Contains(layer.Digest)
                    ? _ => Task.FromResult<Stream>(File.OpenRead(layout.BlobPath(layer.Digest)))
                    : download;
                // Not the caller's token: another pull may be waiting on this download after the first caller gives up.
                task = Task.Run(() => IngestAsync(layer, open, CancellationToken.None));
                _inFlight[layer.ChainId] = task;
                _ = task.ContinueWith(_ => { lock (_inFlight) _inFlight.Remove(layer.ChainId); }, TaskScheduler.Default);
            }
        }
        return task.WaitAsync(cancellationToken);
    }

    public IEnumerable<string> List() =>
        Directory.EnumerateDirectories(layout.Layers).Select(p => Digest.Prefix + Path.GetFileName(p)).Where(Digest.IsValid);

    private async Task IngestAsync(LayerDescriptor layer, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        var tempDir = layout.NewTempPath("layer");
        var tempBlob = layout.NewTempPath("blob");
        try
        {
            await using (var source = await open(cancellationToken).ConfigureAwait(false))
            await using (var file = new FileStream(tempBlob, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize))
            {
                var compressed = new DigestingStream(source, layer.Size, file, $"layer {layer.Digest}");
                await using var decompressed = Decompress(compressed, layer);
                var tar = new DigestingStream(decompressed, -1, null, $"layer {layer.Digest} (uncompressed)");
                try
                {
                    await LayerUnpacker.UnpackAsync(tar, Path.Combine(tempDir, "diff"), cancellationToken).ConfigureAwait(false);
                    await tar.VerifyAsync(layer.DiffId, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ZstdSharp.ZstdException)
                {
                    // Undecodable data is most often a corrupt download: the blob digest says which, so check it first.
                    await compressed.VerifyAsync(layer.Digest, cancellationToken).ConfigureAwait(false);
                    throw new OperationFailedException($"layer {layer.Digest}: cannot be decompressed or read as tar: {e.GetType().Name} {e.Message}", e);
                }
                catch (OperationFailedException)
                {
                    // A corrupt download can also decode into a tar entry the unpacker refuses: a blob that is not
                    // the one the manifest names is reported as such, before what its bytes happened to contain.
                    await compressed.VerifyAsync(layer.Digest, cancellationToken).ConfigureAwait(false);
                    throw;
                }
                await compressed.VerifyAsync(layer.Digest, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            if (!blobs.Contains(layer.Digest)) blobs.Commit(tempBlob, layer.Digest);
            var final = layout.LayerPath(layer.ChainId);
            if (!Directory.Exists(final))
            {
                Directory.Move(tempDir, final);
                FileSystem.FsyncDirectory(layout.Layers);
            }
        }
        finally
        {
            File.Delete(tempBlob);
            if (Directory.Exists(tempDir)) Directory.Delete(tempDir, recursive: true);
        }
    }

    private static Stream Decompress(Stream compressed, LayerDescriptor layer)
    {
        var type = layer.MediaType;
        if (type.EndsWith("+gzip", StringComparison.Ordinal) || type.EndsWith(".tar.gzip", StringComparison.Ordinal))
        {
            return new GZipStream(compressed, CompressionMode.Decompress);
        }
        if (type.EndsWith("+zstd", StringComparison.Ordinal))
        {
            return new ZstdSharp.DecompressionStream(compressed);
        }
        if (type.EndsWith(".tar", StringComparison.Ordinal))
        {
            return compressed;
        }
        throw new OperationFailedException($"layer {layer.Digest}: unsupported media type {type}");
    }
}
