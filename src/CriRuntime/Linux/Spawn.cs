using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>
/// posix_spawn of a detached program that receives chosen pipe ends as fixed fds. .NET's Process cannot pass
/// extra fds, and clearing O_CLOEXEC on a pipe would leak it into every other child spawned meanwhile (a CNI
/// plugin, another pod's monitor); dup2 in the spawn's file actions gives only this child the pipe ends.
/// </summary>
internal static unsafe partial class Spawn
{
    private const int O_CLOEXEC = 0x80000, O_RDWR = 2;
    private const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;

    /// <summary>A pipe whose both ends are close-on-exec.</summary>
    public static (int Read, int Write) Pipe()
    {
        var fds = stackalloc int[2];
        if (Native.pipe2(fds, O_CLOEXEC) < 0) throw new LinuxException("pipe2", null);
        return (fds[0], fds[1]);
    }

    public static void Close(int fd)
    {
        if (fd >= 0) Native.close(fd);
    }

    /// <summary>
    /// Starts <paramref name="path"/> in a new session with default signal dispositions (the daemon ignores
    /// SIGPIPE), stdio on /dev/null (or all three on <paramref name="stdio"/>, e.g. a pty slave) and
    /// <paramref name="fds"/> dup'ed to 3, 4, ... in order. Returns its pid.
    /// </summary>
    public static int Start(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, IReadOnlyList<int> fds, int stdio = -1)
    {
        var actions = stackalloc byte[256];
        var attr = stackalloc byte[512];
        var sigset = stackalloc byte[128];
        Check(Native.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
        Check(Native.posix_spawnattr_init(attr), "posix_spawnattr_init");
        var strings = new List<nint>();
        try
        {
            for (var target = 0; target < 3; target++)
            {
                Check(stdio >= 0
                    ? Native.posix_spawn_file_actions_adddup2(actions, stdio, target)
                    : Native.posix_spawn_file_actions_addopen(actions, target, "/dev/null", O_RDWR, 0), "addopen");
            }
            for (var i = 0; i < fds.Count; i++)
            {
                Check(Native.posix_spawn_file_actions_adddup2(actions, fds[i], 3 + i), "adddup2");
            }
            Native.sigfillset(sigset);
            Check(Native.posix_spawnattr_setsigdefault(attr, sigset), "setsigdefault");
            Native.sigemptyset(sigset);
            Check(Native.posix_spawnattr_setsigmask(attr, sigset), "setsigmask");
            Check(Native.posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID), "setflags");

            var argvp = ToArray(argv, strings);
            var envp = ToArray(env, strings);
            int pid;
            fixed (nint* a = argvp)
            fixed (nint* e = envp)
            {
                Check(Native.posix_spawn(&pid, path, actions, attr, a, e), "posix_spawn " + path);
            }
            return pid;
        }
        finally
        {
            foreach (var s in strings) Marshal.FreeCoTaskMem(s);
            Native.posix_spawn_file_actions_destroy(actions);
            Native.posix_spawnattr_destroy(attr);
        }
    }

    /// <summary>Waits for a child started by <see cref="Start"/>; returns its wait status.</summary>
    public static int Wait(int pid)
    {
        int status;
        while (Native.waitpid(pid, &status, 0) < 0)
        {
            if (Marshal.GetLastPInvokeError() != 4) throw new LinuxException("waitpid", pid.ToString()); // EINTR
        }
        return status;
    }

    private static nint[] ToArray(IReadOnlyList<string> values, List<nint> owned)
    {
        var array = new nint[values.Count + 1];
        for (var i = 0; i < values.Count; i++)
        {
            array[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
            owned.Add(array[i]);
        }
        return array;
    }

    private static void Check(int rc, string operation)
    {
        // posix_spawn* return the error number instead of setting errno.
        if (rc != 0) throw new LinuxException(operation, null, rc);
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int pipe2(int* fds, int flags);

        [LibraryImport("libc")]
        internal static partial int close(int fd);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int waitpid(int pid, int* status, int options);

        [LibraryImport("libc")]
        internal static partial int posix_spawn_file_actions_init(byte* actions);

        [LibraryImport("libc")]
        internal static partial int posix_spawn_file_actions_destroy(byte* actions);

        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int posix_spawn_file_actions_addopen(byte* actions, int fd, string path, int flags, int mode);

        [LibraryImport("libc")]
        internal static partial int posix_spawn_file_actions_adddup2(byte* actions, int fd, int newFd);

        [LibraryImport("libc")]
        internal static partial int posix_spawnattr_init(byte* attr);

        [LibraryImport("libc")]
        internal static partial int posix_spawnattr_destroy(byte* attr);

        [LibraryImport("libc")]
        internal static partial int posix_spawnattr_setflags(byte* attr, short flags);

        [LibraryImport("libc")]
        internal static partial int posix_spawnattr_setsigdefault(byte* attr, byte* sigset);

        [LibraryImport("libc")]
        internal static partial int posix_spawnattr_setsigmask(byte* attr, byte* sigset);

        [LibraryImport("libc")]
        internal static partial int sigfillset(byte* sigset);

        [LibraryImport("libc")]
        internal static partial int sigemptyset(byte* sigset);

        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int posix_spawn(int* pid, string path, byte* actions, byte* attr, nint* argv, nint* envp);
    }
}
