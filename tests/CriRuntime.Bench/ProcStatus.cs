namespace CriRuntime.Bench;

internal static class ProcStatus
{
    /// <summary>Resident set size of a process, in MiB, from /proc/PID/status.</summary>
    public static double RssMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }
}
