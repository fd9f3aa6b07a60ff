namespace CriRuntime.Hosting;

/// <summary>
/// Owns the CRI socket path: makes its directory, holds an exclusive lock beside it for the daemon's lifetime so a
/// second instance fails fast, replaces a stale socket file a crashed instance left, and sets the socket's mode.
/// </summary>
internal sealed class CriSocket : IDisposable
{
    private readonly FileStream _lock;

    private CriSocket(string path, FileStream lockFile)
    {
        Path = path;
        _lock = lockFile;
    }

    public string Path { get; }

    /// <exception cref="SocketInUseException">Another instance holds the socket.</exception>
    public static CriSocket Claim(string path)
    {
        var dir = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                           UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
        var lockPath = path + ".lock";
        FileStream lockFile;
        try
        {
            // FileShare.None is an exclusive, non-blocking flock on Unix: it is released when the process dies,
            // however it dies, so a crashed instance never blocks the next one.
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new SocketInUseException(
                $"another criruntime instance is already serving {path} (it holds {lockPath}); stop it first or choose another api.listen");
        }
        if (File.Exists(path) || Directory.Exists(path))
        {
            var attributes = File.GetAttributes(path);
            if (attributes.HasFlag(FileAttributes.Directory))
            {
                lockFile.Dispose();
                throw new SocketInUseException($"{path} is a directory, not a socket");
            }
            // We hold the lock, so whatever is there was left by a dead instance.
            File.Delete(path);
        }
        return new CriSocket(path, lockFile);
    }

    /// <summary>Only root and the socket's group may talk to the runtime.</summary>
    public void Restrict() =>
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);

    public void Dispose() => _lock.Dispose();
}

internal sealed class SocketInUseException(string message) : Exception(message);
