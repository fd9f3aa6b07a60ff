using System.Globalization;
using System.Runtime.InteropServices;

namespace CriRuntime.Linux;

/// <summary>Kills a process and everything it started (found by parent pid in /proc).</summary>
internal static partial class ProcessTree
{
    private const int SigKill = 9, SigStop = 19;

    /// <summary>
    /// Stops the tree until a scan finds no new process, then kills it. A stopped process cannot fork, and its
    /// children stay its children: killing while walking would let a child forked meanwhile be re-parented away
    /// from the tree (to the container's init) and live on.
    /// </summary>
    public static void Kill(int pid)
    {
        if (pid <= 1) return;
        Native.kill(pid, SigStop);
        var stopped = new List<int> { pid };
        var seen = new HashSet<int> { pid };
        for (var round = 0; round < 20; round++)
        {
            var fresh = Descendants(pid).Where(seen.Add).ToList();
            if (fresh.Count == 0) break;
            foreach (var child in fresh) Native.kill(child, SigStop);
            stopped.AddRange(fresh);
        }
        // Descendants first: with the root gone first the rest would be re-parented before their turn.
        for (var i = stopped.Count - 1; i >= 0; i--) Native.kill(stopped[i], SigKill);
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
