using System.Text;

namespace CriRuntime.IntegrationTests.Harness;

/// <summary>
/// What a test leaves on the host: take a snapshot before, do the work, and <see cref="AssertSameAs"/> after.
/// Counts only what belongs to this test's daemon (its temp dir, run root, cgroup parent, network), so tests
/// running in parallel do not disturb each other's checks.
/// <code>
/// var before = LeakCheck.Take(daemon, network, cgroupParent);
/// ... create and remove pods ...
/// LeakCheck.Take(daemon, network, cgroupParent).AssertSameAs(before);
/// </code>
/// </summary>
public sealed record LeakCheck(IReadOnlyDictionary<string, IReadOnlyList<string>> Items)
{
    /// <param name="network">The test's CNI network (host-local allocations, iptables rules), if any.</param>
    /// <param name="cgroupParent">The cgroup parent the test's pods use (e.g. "/crt-test-1234"), if any.</param>
    public static LeakCheck Take(CriDaemon daemon, PodNetwork? network = null, string? cgroupParent = null)
    {
        var dir = daemon.Settings.Dir;
        var items = new Dictionary<string, IReadOnlyList<string>>
        {
            ["mounts under the test dir"] = File.ReadLines("/proc/self/mountinfo")
                .Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(dir, StringComparison.Ordinal)).Order().ToList(),
            ["netns pins"] = Files(Path.Combine(daemon.Settings.RunRoot, "netns")),
            ["pod directories"] = Files(Path.Combine(daemon.Settings.RunRoot, "sandboxes")),
            ["records"] = Files(Path.Combine(daemon.Settings.Root, "sandboxes")),
            ["container records"] = Files(Path.Combine(daemon.Settings.Root, "containers")),
            ["container bundles"] = Files(Path.Combine(daemon.Settings.RunRoot, "containers")),
            ["writable layers"] = Files(Path.Combine(daemon.Settings.Root, "storage", "containers")),
            ["daemon's own logs"] = Files(Path.Combine(daemon.Settings.Root, "logs")),
            ["storage tmp"] = Files(Path.Combine(daemon.Settings.Root, "storage", "tmp")),
            ["exit files"] = Files(Path.Combine(daemon.Settings.RunRoot, "exits")),
            ["attach links"] = Files(Path.Combine(daemon.Settings.RunRoot, "attach")),
            ["runc containers"] = daemon.Settings.RuncRoot is { } runc ? Files(runc) : [],
            ["launcher containers"] = daemon.Settings.Launcher is { } launcher ? Files(launcher.Root) : [],
            ["processes naming the test dir"] = ProcessesMentioning(dir),
            ["daemon fds"] = daemon.Pid > 0 ? DaemonFds(daemon.Pid) : [],
        };
        if (network is not null)
        {
            items["host-local allocations"] = network.Allocations();
            items["iptables rules"] = network.IptablesRules();
        }
        if (cgroupParent is not null)
        {
            items["cgroups under " + cgroupParent] = Directory.GetDirectories("/sys/fs/cgroup")
                .SelectMany(h => Directory.Exists(h + cgroupParent) ? Directory.GetDirectories(h + cgroupParent) : [])
                .Order().ToList();
            items["processes in cgroups under " + cgroupParent] = ProcessesInCgroups(cgroupParent);
        }
        return new LeakCheck(items);
    }

    /// <summary>This check narrowed to the items whose names start with one of <paramref name="prefixes"/>.</summary>
    public LeakCheck Only(params string[] prefixes) =>
        new(Items.Where(i => prefixes.Any(p => i.Key.StartsWith(p, StringComparison.Ordinal))).ToDictionary(i => i.Key, i => i.Value));

    /// <param name="ignore">Items not to compare, e.g. "daemon fds" across a daemon restart.</param>
    public void AssertSameAs(LeakCheck before, params string[] ignore)
    {
        var report = new StringBuilder();
        foreach (var (name, now) in Items)
        {
            if (ignore.Contains(name)) continue;
            var was = before.Items.TryGetValue(name, out var b) ? b : [];
            if (!was.SequenceEqual(now))
            {
                report.Append($"{name}: gone [{string.Join(", ", was.Except(now))}], new [{string.Join(", ", now.Except(was))}]\n");
            }
        }
        Assert.True(report.Length == 0, "the host changed:\n" + report);
    }

    /// <summary>The daemon's open fds by what they are ("pipe", "socket", a path), with counts.</summary>
    private static List<string> DaemonFds(int pid) =>
        Directory.GetFiles($"/proc/{pid}/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget ?? "?"; } catch (IOException) { return "?"; } })
            .Select(t => t.Contains(":[", StringComparison.Ordinal) ? t[..t.IndexOf(":[", StringComparison.Ordinal)] : t)
            // The JIT build maps assemblies as it first needs them (the AOT build has none): not a leak.
            .Where(t => !t.EndsWith(".dll", StringComparison.Ordinal) && !t.EndsWith(".pdb", StringComparison.Ordinal))
            .GroupBy(t => t).Select(g => $"{g.Key} x{g.Count()}").Order().ToList();

    /// <summary>Processes in any cgroup below the parent (memory hierarchy; v1 hybrid), with their command lines.</summary>
    private static List<string> ProcessesInCgroups(string parent)
    {
        var root = Directory.Exists("/sys/fs/cgroup/memory") ? "/sys/fs/cgroup/memory" + parent : "/sys/fs/cgroup" + parent;
        if (!Directory.Exists(root)) return [];
        var result = new List<string>();
        foreach (var procs in Directory.EnumerateFiles(root, "cgroup.procs", SearchOption.AllDirectories))
        {
            foreach (var pid in File.ReadAllLines(procs).Where(l => l.Length > 0))
            {
                try
                {
                    result.Add($"{pid} {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')}");
                }
                catch (IOException)
                {
                    // Exited while we looked.
                }
            }
        }
        return result.Order().ToList();
    }

    private static List<string> Files(string dir) =>
        Directory.Exists(dir) ? Directory.EnumerateFileSystemEntries(dir).Select(f => Path.GetFileName(f)).Order().ToList() : [];

    private static List<string> ProcessesMentioning(string text)
    {
        var result = new List<string>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(proc);
            if (!int.TryParse(name, out _)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(text, StringComparison.Ordinal) && !cmdline.Contains("--config", StringComparison.Ordinal))
                {
                    result.Add(cmdline.Length > 120 ? cmdline[..120] : cmdline);
                }
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
        }
        return result.Order().ToList();
    }
}
