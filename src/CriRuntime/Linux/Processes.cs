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

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int kill(int pid, int signal);
    }
}
