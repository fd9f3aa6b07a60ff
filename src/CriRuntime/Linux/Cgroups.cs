namespace CriRuntime.Linux;

/// <summary>cgroupfs (v1 hierarchies and the v2 unified mount) as a set of directories.</summary>
internal static class Cgroups
{
    private const string Root = "/sys/fs/cgroup";

    /// <summary>
    /// Removes the (empty) cgroup <paramref name="cgroupsPath"/> from every hierarchy it exists in. The OCI
    /// runtime removes it on delete; this catches what a failed create leaves behind.
    /// </summary>
    public static void RemoveEverywhere(string cgroupsPath)
    {
        var relative = cgroupsPath.TrimStart('/');
        if (relative.Length == 0 || relative.Split('/').Any(p => p is ".." or ".")) return;
        foreach (var hierarchy in Hierarchies())
        {
            var dir = Path.Combine(hierarchy, relative);
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: false);
            }
            catch (IOException)
            {
                // Still has processes or children: the runtime's delete is responsible; never rm -r a cgroup.
            }
        }
    }

    /// <summary>
    /// How many processes of the cgroup the kernel's OOM killer killed: memory.oom_control's oom_kill (v1) or
    /// memory.events' oom_kill (v2, also the unified mount of a hybrid host). 0 when the cgroup is gone.
    /// </summary>
    public static long OomKills(string cgroupsPath)
    {
        var relative = cgroupsPath.TrimStart('/');
        long kills = 0;
        foreach (var file in new[]
        {
            Path.Combine(Root, "memory", relative, "memory.oom_control"),
            Path.Combine(Root, relative, "memory.events"),
            Path.Combine(Root, "unified", relative, "memory.events"),
        })
        {
            try
            {
                foreach (var line in File.ReadLines(file))
                {
                    if (line.StartsWith("oom_kill ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(9), out var n)) kills = Math.Max(kills, n);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return kills;
    }

    /// <summary>The directory of each mounted hierarchy (cpu, memory, ..., unified).</summary>
    public static IEnumerable<string> Hierarchies() =>
        Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).Where(d => new DirectoryInfo(d).LinkTarget is null)
            : [];
}
