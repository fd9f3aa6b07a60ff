using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>A failed syscall, naming the operation, the path and the errno.</summary>
public sealed class LinuxException : IOException
{
    public LinuxException(string operation, string? path, int? errno = null)
        : this(operation, path, errno ?? Marshal.GetLastPInvokeError(), 0)
    {
    }

    private LinuxException(string operation, string? path, int errno, int _)
        : base($"{operation}{(path is null ? "" : " " + path)}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
    {
        Operation = operation;
        Path = path;
        Errno = errno;
    }

    public string Operation { get; }
    public string? Path { get; }
    public int Errno { get; }
}
