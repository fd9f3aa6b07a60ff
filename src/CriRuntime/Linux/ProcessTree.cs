using System.Globalization;
using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>Signals a process and everything it started (found by parent pid in /proc).</summary>
internal static partial class ProcessTree
{
    public const int SigKill = 9;

    /// <summary>Kills the descendants first (children first would re-parent the rest away from us), then the root.</summary>
    public static void Kill(int pid, int signal = SigKill)
    {
        if (pid <= 1) return;
        foreach (var child in Descendants(pid)) Native.kill(child, signal);
        Native.kill(pid, signal);
    }

    public static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            var ppid = ParentOf(dir);
            if (ppid <= 0) continue;
            if (!parents.TryGetValue(ppid, out var list)) parents[ppid] = list = [];
            list.Add(pid);
        }
        var result = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0 && result.Count < 100_000)
        {
            if (!parents.TryGetValue(queue.Dequeue(), out var children)) continue;
            foreach (var c in children)
            {
                result.Add(c);
                queue.Enqueue(c);
            }
        }
        result.Reverse();
        return result;
    }

    private static int ParentOf(string procDir)
    {
        try
        {
            // "pid (comm) state ppid ..."; comm may contain spaces and parentheses, so parse after the last ')'.
            var stat = File.ReadAllText(Path.Combine(procDir, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            return -1;
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int kill(int pid, int signal);
    }
}
