using System.Text.Json;
using CriRuntime.Configuration;
using CriRuntime.Errors;
using CriRuntime.Storage;
using Microsoft.Extensions.Logging;
using Manifest = (byte[] Body, string MediaType, string Digest);

namespace CriRuntime.Images;

/// <summary>
/// Pulls an image: resolves the manifest through the mirrors and then the registry, picks this platform from an
/// index, stores the config, downloads the layers in parallel (each unpacked while it streams), and records the
/// image under its original name. Concurrent pulls of one reference share one operation.
/// </summary>
internal sealed partial class ImagePuller(
    DaemonOptions options, RegistryEndpoints endpoints, RegistryHttpClients clients, BlobStore blobs, LayerStore layers,
    ImageStore images, ILogger<ImagePuller> logger)
{
    private readonly Dictionary<string, Task<StoredImage>> _inFlight = new(StringComparer.Ordinal);

    public Task<StoredImage> PullAsync(ImageReference reference, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        // Pulls with different credentials do not share: one that is denied must not fail the other.
        var key = reference + "|" + (credentials?.GetHashCode() ?? 0);
        Task<StoredImage> task;
        lock (_inFlight)
        {
            if (!_inFlight.TryGetValue(key, out task!))
            {
                // Not the caller's token: a second caller may be waiting on this pull when the first gives up.
                task = Task.Run(() => PullOnceAsync(reference, credentials, CancellationToken.None));
                _inFlight[key] = task;
                _ = task.ContinueWith(_ => { lock (_inFlight) _inFlight.Remove(key); }, TaskScheduler.Default);
            }
        }
        return task.WaitAsync(cancellationToken);
    }

    private async Task<StoredImage> PullOnceAsync(ImageReference reference, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (session, top, manifest) = await ResolveAsync(reference, credentials, cancellationToken).ConfigureAwait(false);
        var document = Parse(manifest.Body, reference);
        if (document.Config is not { } configDescriptor || document.Layers is not { } layerDescriptors || MediaTypes.IsIndex(manifest.MediaType))
        {
            throw new OperationFailedException($"{reference}: unsupported manifest (media type \"{manifest.MediaType}\"); schema 1 images are not supported");
        }

        var configBytes = blobs.Contains(configDescriptor.Digest)
            ? blobs.Read(configDescriptor.Digest)
            : await session.GetBlobAsync(configDescriptor, cancellationToken).ConfigureAwait(false);
        var diffIds = ParseConfig(configBytes, reference).RootFs?.DiffIds ?? [];
        if (diffIds.Count != layerDescriptors.Count || !diffIds.All(Digest.IsValid) || !layerDescriptors.All(l => Digest.IsValid(l.Digest)))
        {
            throw new OperationFailedException($"{reference}: the config lists {diffIds.Count} layer diff ids for {layerDescriptors.Count} layers, or a digest is malformed");
        }
        var chainIds = Digest.ChainIds(diffIds);
        var stack = layerDescriptors.Select((l, i) => new LayerDescriptor(l.Digest, l.Size, l.MediaType, diffIds[i], chainIds[i])).ToList();

        var succeeded = false;
        var pin = images.Pin([configDescriptor.Digest, top.Digest, manifest.Digest, .. stack.Select(l => l.Digest), .. chainIds]);
        try
        {
            blobs.Write(configDescriptor.Digest, configBytes);
            blobs.Write(top.Digest, top.Body);
            blobs.Write(manifest.Digest, manifest.Body);
            await DownloadLayersAsync(session, stack, cancellationToken).ConfigureAwait(false);
            var record = new ImageRecord
            {
                Id = configDescriptor.Digest,
                ManifestDigest = manifest.Digest,
                IndexDigest = top.Digest == manifest.Digest ? null : top.Digest,
                // As containerd's images.Size: every descriptor walked from the pulled target (index, manifest, config, layers).
                Size = top.Body.Length + (top.Digest == manifest.Digest ? 0 : manifest.Body.Length) + configDescriptor.Size + stack.Sum(l => l.Size),
                Layers = stack,
            };
            var image = images.Commit(record, reference.TaggedName, reference.Name + "@" + top.Digest);
            succeeded = true;
            LogPulled(reference.ToString(), image.Id, session.Endpoint.ToString(), stack.Count, started.ElapsedMilliseconds);
            return image;
        }
        finally
        {
            pin.Dispose();
            // A failed pull stores nothing: what it wrote belongs to no image.
            if (!succeeded) images.CollectGarbage();
        }
    }

    private static OciImageConfig ParseConfig(byte[] body, ImageReference reference)
    {
        try
        {
            return JsonSerializer.Deserialize(body, StorageJsonContext.Default.OciImageConfig)
                ?? throw new OperationFailedException($"{reference}: empty image config");
        }
        catch (JsonException e)
        {
            throw new OperationFailedException($"{reference}: image config is not valid JSON: {e.Message}", e);
        }
    }

    // Top is what the reference names (an index or a manifest); manifest is this platform's.
    private async Task<(RegistrySession Session, Manifest Top, Manifest Manifest)> ResolveAsync(
        ImageReference reference, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        var (session, top) = await FirstAnsweringAsync(reference, credentials, cancellationToken).ConfigureAwait(false);
        if (!MediaTypes.IsIndex(top.MediaType)) return (session, top, top);
        var index = Parse(top.Body, reference);
        var (arch, variant) = PlatformSelector.Current;
        var chosen = PlatformSelector.Select(index.Manifests ?? [], arch, variant)
            ?? throw new NotFoundException($"{reference}: no image for linux/{arch} in the index");
        return (session, top, await session.GetManifestAsync(chosen.Digest, cancellationToken).ConfigureAwait(false));
    }

    // The manifest decides the endpoint: each mirror in turn, then the registry; blobs then come from the same one.
    private async Task<(RegistrySession Session, Manifest Manifest)> FirstAnsweringAsync(
        ImageReference reference, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        var candidates = endpoints.For(reference.Registry);
        for (var i = 0; ; i++)
        {
            var endpoint = candidates[i];
            var session = new RegistrySession(clients.For(endpoint), endpoint, reference.Repository, endpoint.IsMirror ? null : credentials);
            try
            {
                return (session, await session.GetManifestAsync(reference.ManifestReference, cancellationToken).ConfigureAwait(false));
            }
            catch (CriException e) when (i < candidates.Count - 1)
            {
                LogEndpointFailed(reference.ToString(), endpoint.ToString(), e.Message);
            }
        }
    }

    private async Task DownloadLayersAsync(RegistrySession session, List<LayerDescriptor> stack, CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(options.Image.MaxConcurrentDownloads);
        var tasks = stack.Select(async layer =>
        {
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await layers.EnsureAsync(layer, ct => session.OpenBlobAsync(layer.Digest, ct), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private static ManifestDocument Parse(byte[] body, ImageReference reference)
    {
        try
        {
            return JsonSerializer.Deserialize(body, RegistryJsonContext.Default.ManifestDocument)
                ?? throw new OperationFailedException($"{reference}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new OperationFailedException($"{reference}: manifest is not valid JSON: {e.Message}", e);
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "pulled {Reference} as {ImageId} from {Endpoint}: {Layers} layers in {Milliseconds} ms")]
    private partial void LogPulled(string reference, string imageId, string endpoint, int layers, long milliseconds);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "pull of {Reference}: {Endpoint} failed, trying the next endpoint: {Reason}")]
    private partial void LogEndpointFailed(string reference, string endpoint, string reason);
}
