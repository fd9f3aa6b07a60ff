namespace CriRuntime.State;

/// <summary>
/// Writes a file so that a crash at any moment leaves either the old content or the new, never a torn file:
/// write a temp file in the same directory, fsync it, rename it over the target, fsync the directory.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = mode,
            }))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        Linux.FileSystem.FsyncDirectory(dir);
    }

    /// <summary>Removes the leftovers of writes that a crash interrupted.</summary>
    public static void RemoveTempFiles(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var temp in Directory.EnumerateFiles(dir, ".*.tmp"))
        {
            File.Delete(temp);
        }
    }
}
