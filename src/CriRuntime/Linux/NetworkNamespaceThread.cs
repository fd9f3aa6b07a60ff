using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>
/// Runs a short function inside another network namespace on a dedicated thread (setns affects only the calling
/// thread): what it reads through /proc/thread-self/net is that namespace's. The thread ends afterwards, so a
/// failed return can never leak a thread in the wrong namespace into the thread pool.
/// </summary>
internal static partial class NetworkNamespaceThread
{
    private const int CloneNewNet = 0x40000000, O_RDONLY = 0, O_CLOEXEC = 0x80000;

    public static Task<T> RunAsync<T>(string namespacePath, Func<T> action)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                result.SetResult(RunOnThisThread(namespacePath, action));
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        })
        { IsBackground = true, Name = "netns-run" };
        thread.Start();
        return result.Task;
    }

    private static T RunOnThisThread<T>(string namespacePath, Func<T> action)
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
            try
            {
                return action();
            }
            finally
            {
                if (Native.setns(original, CloneNewNet) < 0) throw new LinuxException("setns (return to the daemon's namespace)", null);
            }
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
