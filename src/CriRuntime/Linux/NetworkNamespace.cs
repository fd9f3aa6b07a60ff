using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>
/// Creates network namespaces pinned by a bind mount, so they outlive every process in them (CNI runs before the
/// pause process exists, and DEL after it is gone).
/// </summary>
internal static partial class NetworkNamespace
{
    private const int CLONE_NEWNET = 0x40000000, O_RDONLY = 0, O_CLOEXEC = 0x80000;

    /// <summary>
    /// A new netns with <c>lo</c> up, bind-mounted on <paramref name="pinPath"/> (an empty file is created).
    /// unshare(2) changes only the calling thread's netns, so the work runs on a dedicated OS thread, never a
    /// pool thread that other work would later run on; the thread switches back to its original netns before it
    /// ends, so no other code ever runs inside the pod's namespace by accident.
    /// </summary>
    public static Task CreatePinnedAsync(string pinPath)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                CreatePinned(pinPath);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }, 256 * 1024)
        { IsBackground = true, Name = "netns-create" };
        thread.Start();
        return done.Task;
    }

    /// <summary>Unmounts the pin and deletes its file; an already-gone pin is not an error.</summary>
    public static void RemovePin(string pinPath)
    {
        Mounts.UnmountIfMounted(pinPath);
        // File.Delete throws when the directory is missing too (a daemon that died before creating it).
        if (File.Exists(pinPath)) File.Delete(pinPath);
    }

    private static void CreatePinned(string pinPath)
    {
        using (File.Create(pinPath))
        {
        }
        var original = Native.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (original < 0) throw new LinuxException("open", "/proc/thread-self/ns/net");
        try
        {
            if (Native.unshare(CLONE_NEWNET) < 0) throw new LinuxException("unshare(CLONE_NEWNET)", null);
            try
            {
                Mounts.Mount("/proc/thread-self/ns/net", pinPath, null, Mounts.MS_BIND);
                InterfaceFlags.BringUp("lo");
            }
            finally
            {
                // If this fails the thread must not survive in the pod's netns: crash rather than carry on.
                if (Native.setns(original, CLONE_NEWNET) < 0)
                {
                    Environment.FailFast("setns back to the daemon's network namespace failed: errno " + Marshal.GetLastPInvokeError());
                }
            }
        }
        catch
        {
            RemovePin(pinPath);
            throw;
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
        internal static partial int close(int fd);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int unshare(int flags);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int setns(int fd, int nstype);
    }
}
