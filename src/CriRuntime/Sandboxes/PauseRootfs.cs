using CriRuntime.Configuration;
using CriRuntime.Errors;

namespace CriRuntime.Sandboxes;

/// <summary>
/// The minimal root file system every pause container runs from: the static pause binary and the empty mount
/// points, prepared once per daemon start (no pause image needed). Shared read-only by all pods.
/// </summary>
internal sealed class PauseRootfs(DaemonOptions options)
{
    public const string PausePath = "/pause";
    private readonly SemaphoreSlim _lock = new(1, 1);
    private string? _path;

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_path is not null) return _path;
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return _path ??= Prepare();
        }
        finally
        {
            _lock.Release();
        }
    }

    private string Prepare()
    {
        var source = options.Runtime.PauseBinary;
        if (!File.Exists(source))
        {
            throw new FailedPreconditionException($"the pause binary {source} (runtime.pause_binary) does not exist; run make install");
        }
        var rootfs = Path.Combine(options.RunRoot, "pause", "rootfs");
        foreach (var dir in new[] { "proc", "dev", "sys", "etc" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, dir));
        }
        // Copy beside, then rename: a running pod's pause binary is never overwritten in place.
        var target = Path.Combine(rootfs, PausePath.TrimStart('/'));
        var temp = target + ".new";
        File.Copy(source, temp, overwrite: true);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
            UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.Move(temp, target, overwrite: true);
        return rootfs;
    }
}
