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

    /// <summary>The directory of each mounted hierarchy (cpu, memory, ..., unified).</summary>
    public static IEnumerable<string> Hierarchies() =>
        Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).Where(d => new DirectoryInfo(d).LinkTarget is null)
            : [];
}
