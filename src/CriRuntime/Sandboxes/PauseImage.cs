using System.Collections.Concurrent;
using CriRuntime.Configuration;
using CriRuntime.Errors;
using CriRuntime.Images;
using CriRuntime.Linux;
using CriRuntime.Storage;

namespace CriRuntime.Sandboxes;

/// <summary>
/// The configured pause image (runtime.pause_image), used instead of <see cref="PauseRootfs"/> when set: resolved
/// in the local store or pulled, marked pinned (kubelet's image GC skips it) and held per pod, so that RemoveImage
/// of it is refused while pods run from it. Each pod mounts its layers as a read-only overlay.
/// </summary>
internal sealed partial class PauseImage(DaemonOptions options, LocalImages images, ImagePuller puller, ImageStore store, ILogger<PauseImage> logger)
{
    private readonly ConcurrentDictionary<string, IDisposable> _holds = new(StringComparer.Ordinal);

    public bool Configured => Name.Length > 0;

    public string Name => options.Runtime.PauseImage;

    /// <summary>The image, pulled first if absent, held for <paramref name="sandboxId"/> until <see cref="Release"/>.</summary>
    /// <exception cref="OperationFailedException">Not present and the pull failed; the message names the image.</exception>
    public async Task<StoredImage> AcquireAsync(string sandboxId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var image = images.Resolve(Name) ?? await PullAsync(cancellationToken);
            IDisposable? hold = store.PinLayers(image);
            try
            {
                // Pinned only now: a RemoveImage between the resolve and the pin found it unused; retry then.
                if (store.FindById(image.Id) is not { } current) continue;
                if (!current.Record.Pinned) store.SetPinned(image.Id, true);
                Hold(sandboxId, hold);
                hold = null;
                return current;
            }
            catch (NotFoundException)
            {
                // Removed between the check and SetPinned: resolve again.
            }
            finally
            {
                hold?.Dispose();
            }
        }
        throw new OperationFailedException($"pause image \"{Name}\" (runtime.pause_image) kept disappearing while being resolved");
    }

    /// <summary>At daemon start: holds the image again for a pod that runs from it.</summary>
    public void Reacquire(string sandboxId, string imageId)
    {
        if (store.FindById(imageId) is { } image) Hold(sandboxId, store.PinLayers(image));
        else LogImageGone(logger, sandboxId, imageId);
    }

    public void Release(string sandboxId)
    {
        if (_holds.TryRemove(sandboxId, out var hold)) hold.Dispose();
    }

    /// <summary>
    /// Mounts the image read-only at <paramref name="target"/>. Below its layers lies a skeleton of empty mount
    /// points (/proc, /dev...): the runtime cannot create them in a read-only root, and images like ours lack them.
    /// </summary>
    public void Mount(StoredImage image, string target)
    {
        var skeleton = Path.Combine(options.RunRoot, "pause", "skeleton");
        foreach (var dir in new[] { "proc", "dev", "sys", "etc" }) Directory.CreateDirectory(Path.Combine(skeleton, dir));
        Directory.CreateDirectory(target);
        var lower = string.Join(':', image.LowerDirs.Append(skeleton));
        Mounts.Mount("overlay", target, "overlay", Mounts.MS_RDONLY | Mounts.MS_NODEV, "lowerdir=" + lower);
    }

    /// <summary>The pause process: the image's Entrypoint then Cmd, as containerd runs a sandbox image.</summary>
    /// <exception cref="FailedPreconditionException">The image names no command.</exception>
    public IReadOnlyList<string> Args(StoredImage image)
    {
        var args = (image.Config.Config?.Entrypoint ?? []).Concat(image.Config.Config?.Cmd ?? []).ToList();
        return args.Count > 0 ? args
            : throw new FailedPreconditionException($"pause image \"{Name}\" ({image.Id}) has neither Entrypoint nor Cmd");
    }

    private void Hold(string sandboxId, IDisposable hold)
    {
        if (_holds.TryGetValue(sandboxId, out var previous)) previous.Dispose();
        _holds[sandboxId] = hold;
    }

    private async Task<StoredImage> PullAsync(CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(Name, options.Image.DefaultRegistry, out var reference, out var error))
        {
            throw new FailedPreconditionException($"pause image \"{Name}\" (runtime.pause_image) is not present and not a pullable reference: {error}");
        }
        LogPulling(logger, Name);
        try
        {
            return await puller.PullAsync(reference!, null, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new OperationFailedException($"pause image \"{Name}\" (runtime.pause_image) is not present and could not be pulled: {e.Message}", e);
        }
    }

    [LoggerMessage(EventId = 5021, Level = LogLevel.Information, Message = "pulling pause image {Image}")]
    private static partial void LogPulling(ILogger logger, string image);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Warning, Message = "pod {Id} runs from pause image {ImageId}, which is no longer in the image store")]
    private static partial void LogImageGone(ILogger logger, string id, string imageId);
}
