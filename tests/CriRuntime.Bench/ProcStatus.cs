namespace CriRuntime.Bench;

internal static class ProcStatus
{
    /// <summary>Resident set size of a process, in MiB, from /proc/PID/status.</summary>
    public static double RssMiB(int pid) => Field(pid, "VmRSS:") / 1024;

    /// <summary>Peak resident set size (high-water mark), in MiB.</summary>
    public static double PeakRssMiB(int pid) => Field(pid, "VmHWM:") / 1024;

    /// <summary>Summed RSS (MiB) and count of processes whose name is one of <paramref name="names"/> (monitors, shims).</summary>
    public static (double RssMiB, int Count) ProcessesNamed(params string[] names)
    {
        double total = 0;
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                if (!names.Any(n => comm.StartsWith(n, StringComparison.Ordinal))) continue;
                total += RssMiB(pid);
                count++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Gone while we looked.
            }
        }
        return (total, count);
    }

    /// <summary>User + system CPU time of a process so far, in clock ticks (USER_HZ, 100 on Linux).</summary>
    public static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
    }

    private static double Field(int pid, string name)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(name, StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
