using System.Text;
using CriRuntime.Linux;

namespace CriRuntime.Recovery;

/// <summary>A running conmon of ours: the id it monitors and the OCI runtime (binary, state root) it was given.</summary>
internal sealed record MonitorProcess(int Pid, ulong StartTime, string Id, string RuntimePath, string? RuntimeRoot);

/// <summary>
/// Finds conmon processes from /proc. Ours are recognised by their <c>--exit-dir</c>, which is under our run root,
/// never by name alone, so another runtime's conmons (CRI-O, podman) are never touched.
/// </summary>
internal static class MonitorProcesses
{
    /// <summary>Every conmon whose exit dir is <paramref name="exitDirectory"/>.</summary>
    public static List<MonitorProcess> Scan(string exitDirectory)
    {
        var found = new List<MonitorProcess>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            if (Parse(pid, exitDirectory) is { } monitor) found.Add(monitor);
        }
        return found;
    }

    /// <summary>
    /// The monitor of <paramref name="id"/> from the pid file conmon writes into the bundle before it runs create:
    /// what a record written before that create does not know yet. (0, 0) when there is none or it is gone.
    /// </summary>
    public static (int Pid, ulong StartTime) FromPidFile(string bundleDir, string id, string exitDirectory)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(bundleDir, "conmon.pid")).Trim();
            if (int.TryParse(text, out var pid) && Parse(pid, exitDirectory) is { } m && m.Id == id) return (m.Pid, m.StartTime);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No pid file: conmon never started, or it already cleaned up.
        }
        return (0, 0);
    }

    private static MonitorProcess? Parse(int pid, string exitDirectory)
    {
        string[] argv;
        try
        {
            argv = Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/cmdline")).Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (argv.Length == 0 || Path.GetFileName(argv[0]) != "conmon") return null;
        string? id = null, exitDir = null, runtimePath = null, runtimeRoot = null;
        for (var i = 0; i + 1 < argv.Length; i++)
        {
            switch (argv[i])
            {
                case "-c": id = argv[i + 1]; break;
                case "--exit-dir": exitDir = argv[i + 1]; break;
                case "-r": runtimePath = argv[i + 1]; break;
                case "--runtime-arg" when argv[i + 1].StartsWith("--root=", StringComparison.Ordinal): runtimeRoot = argv[i + 1]["--root=".Length..]; break;
            }
        }
        if (id is null || runtimePath is null || exitDir != exitDirectory) return null;
        return Processes.StartTime(pid) is { } start ? new MonitorProcess(pid, start, id, runtimePath, runtimeRoot) : null;
    }
}
