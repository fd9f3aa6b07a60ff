using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>
/// Creates a socket inside another network namespace. setns affects only the calling thread, so it runs on a
/// dedicated thread: enter the namespace, create the socket (which stays in that namespace for its whole life),
/// return to the original one. The thread ends afterwards, so even a failed return cannot leak a thread in the
/// wrong namespace into the thread pool.
/// </summary>
internal static partial class NetworkNamespaceSocket
{
    private const int CloneNewNet = 0x40000000, O_RDONLY = 0, O_CLOEXEC = 0x80000;

    public static Task<Socket> CreateAsync(string namespacePath, AddressFamily family)
    {
        var result = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                result.SetResult(CreateOnThisThread(namespacePath, family));
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        })
        { IsBackground = true, Name = "netns-socket" };
        thread.Start();
        return result.Task;
    }

    private static Socket CreateOnThisThread(string namespacePath, AddressFamily family)
    {
        var original = Native.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (original < 0) throw new LinuxException("open", "/proc/thread-self/ns/net");
        try
        {
            var target = Native.open(namespacePath, O_RDONLY | O_CLOEXEC);
            if (target < 0) throw new LinuxException("open", namespacePath);
            try
            {
                if (Native.setns(target, CloneNewNet) < 0) throw new LinuxException("setns", namespacePath);
            }
            finally
            {
                Native.close(target);
            }
            Socket socket;
            try
            {
                socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            }
            finally
            {
                if (Native.setns(original, CloneNewNet) < 0) throw new LinuxException("setns (return to the daemon's namespace)", null);
            }
            return socket;
        }
        finally
        {
            Native.close(original);
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int setns(int fd, int nstype);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int close(int fd);
    }
}
