using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>Signals and identity of processes the daemon did not start itself (pause, conmon).</summary>
internal static partial class Processes
{
    private const int ESRCH = 3;

    /// <summary>Sends a signal; returns false when the process no longer exists.</summary>
    public static bool Kill(int pid, int signal)
    {
        if (Native.kill(pid, signal) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        return errno == ESRCH ? false : throw new LinuxException($"kill({signal})", pid.ToString(), errno);
    }

    /// <summary>
    /// Sends a signal to the process that has <paramref name="pid"/> and started at <paramref name="startTime"/>,
    /// through a pidfd so a reused pid is never signalled; false when that process is gone.
    /// </summary>
    public static bool Signal(int pid, ulong startTime, int signal)
    {
        if (pid <= 0) return false;
        var fd = Native.pidfd_open(pid, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == ESRCH ? false : throw new LinuxException("pidfd_open", pid.ToString(), errno);
        }
        try
        {
            if (StartTime(pid) != startTime) return false;
            if (Native.pidfd_send_signal(fd, signal, 0, 0) == 0) return true;
            var errno = Marshal.GetLastPInvokeError();
            return errno == ESRCH ? false : throw new LinuxException($"pidfd_send_signal({signal})", pid.ToString(), errno);
        }
        finally
        {
            Native.close(fd);
        }
    }

    /// <summary>
    /// The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or null when it is gone.
    /// Stored with a pid so that a reused pid is never mistaken for ours.
    /// </summary>
    public static ulong? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // comm (field 2) may contain spaces and parentheses: count fields after the last ')'.
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return ulong.TryParse(rest[19], out var ticks) ? ticks : null;
    }

    /// <summary>Whether the process has a handler installed for <paramref name="signal"/> (SigCgt in /proc/PID/status).</summary>
    public static bool CatchesSignal(int pid, int signal)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("SigCgt:", StringComparison.Ordinal))
                {
                    var mask = Convert.ToUInt64(line["SigCgt:".Length..].Trim(), 16);
                    return (mask & (1UL << (signal - 1))) != 0;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return false;
    }

    /// <summary>Whether <paramref name="pid"/> is still the process that started at <paramref name="startTime"/>.</summary>
    public static bool IsAlive(int pid, ulong startTime) => pid > 0 && StartTime(pid) == startTime;

    /// <summary>
    /// Waits until the process that has <paramref name="pid"/> and started at <paramref name="startTime"/> has
    /// exited: true when it is gone, false on timeout. Event-driven: poll(2) on a pidfd, which turns readable when
    /// the process exits (also for processes that are not our children), on a dedicated thread.
    /// </summary>
    public static Task<bool> WaitForExitAsync(int pid, ulong startTime, TimeSpan timeout)
    {
        if (pid <= 0) return Task.FromResult(true);
        var fd = Native.pidfd_open(pid, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == ESRCH ? Task.FromResult(true) : throw new LinuxException("pidfd_open", pid.ToString(), errno);
        }
        // The pidfd names whichever process had the pid when it was opened: make sure that is ours.
        if (StartTime(pid) != startTime)
        {
            Native.close(fd);
            return Task.FromResult(true);
        }
        return Task.Factory.StartNew(() =>
        {
            try
            {
                return PollReadable(fd, (int)timeout.TotalMilliseconds);
            }
            finally
            {
                Native.close(fd);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static unsafe bool PollReadable(int fd, int timeoutMs)
    {
        const short POLLIN = 1;
        var deadline = Environment.TickCount64 + timeoutMs;
        // struct pollfd { int fd; short events; short revents; }
        var pollfd = stackalloc int[2];
        while (true)
        {
            pollfd[0] = fd;
            pollfd[1] = POLLIN;
            var remaining = (int)Math.Max(0, deadline - Environment.TickCount64);
            var rc = Native.poll(pollfd, 1, remaining);
            if (rc > 0) return true;
            if (rc == 0) return false;
            if (Marshal.GetLastPInvokeError() != 4) throw new LinuxException("poll(pidfd)", null); // EINTR: again
        }
    }

    private static unsafe partial class Native
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int kill(int pid, int signal);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int pidfd_open(int pid, uint flags);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int pidfd_send_signal(int pidfd, int signal, nint info, uint flags);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int poll(int* fds, ulong nfds, int timeout);

        [LibraryImport("libc")]
        internal static partial int close(int fd);
    }
}
