using CriRuntime.Errors;
using CriRuntime.Linux;

namespace CriRuntime.Containers;

/// <summary>
/// Reads small files of an image's root filesystem (/etc/passwd, /etc/group) without ever following a symlink
/// or ".." out of it: the image is untrusted, the daemon is root.
/// </summary>
internal static class RootfsFiles
{
    /// <summary>Larger files are refused: /etc/passwd is never megabytes, a hostile image could make it so.</summary>
    public const int MaxBytes = 4 << 20;

    /// <summary>The file's text, or null if it does not exist in the rootfs.</summary>
    /// <exception cref="OperationFailedException">It exists but cannot be read, or is too large or not a regular file.</exception>
    public static string? ReadText(string rootfs, string path)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = RootedOpen.OpenRead(rootfs, path);
        }
        catch (LinuxException e) when (e.Errno is RootedOpen.ENOENT or RootedOpen.ENOTDIR)
        {
            return null;
        }
        catch (IOException e)
        {
            throw new OperationFailedException($"reading {path} of the image: {e.Message}", e);
        }
        using (handle)
        {
            try
            {
                using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
                using var text = new MemoryStream();
                var chunk = new byte[64 * 1024];
                int n;
                while ((n = stream.Read(chunk)) > 0)
                {
                    text.Write(chunk, 0, n);
                    if (text.Length > MaxBytes) throw new OperationFailedException($"{path} of the image is larger than {MaxBytes} bytes");
                }
                return System.Text.Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
            }
            catch (IOException e)
            {
                throw new OperationFailedException($"reading {path} of the image: {e.Message}", e);
            }
        }
    }
}
