namespace CriRuntime.Tests.Stats;

/// <summary>A fake cgroup root in a temp dir: files written as the kernel formats them.</summary>
internal sealed class CgroupFixture : IDisposable
{
    public CgroupFixture(bool unified)
    {
        Root = Path.Combine(Path.GetTempPath(), "cgroup-fixture-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        if (unified) File.WriteAllText(Path.Combine(Root, "cgroup.controllers"), "cpuset cpu io memory pids\n");
    }

    public string Root { get; }

    public void Write(string relative, string content)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
