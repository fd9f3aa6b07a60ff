using CriRuntime.Containers;

namespace CriRuntime.Tests.Containers;

public sealed class HostFactsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cgroup-root-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Detect_V1Hybrid_WithMemswWithoutHugetlb()
    {
        Directory.CreateDirectory(Path.Combine(_root, "memory"));
        File.WriteAllText(Path.Combine(_root, "memory", "memory.memsw.limit_in_bytes"), "");
        Directory.CreateDirectory(Path.Combine(_root, "unified"));

        var facts = HostFacts.Detect(_root);

        Assert.False(facts.CgroupV2);
        Assert.True(facts.SwapAccounting);
        Assert.False(facts.Hugetlb);
        Assert.Contains("CAP_CHOWN", facts.Capabilities);
    }

    [Fact]
    public void Detect_V2_ControllersFromTheRoot()
    {
        File.WriteAllText(Path.Combine(_root, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids\n");
        Directory.CreateDirectory(Path.Combine(_root, "kubepods"));
        File.WriteAllText(Path.Combine(_root, "kubepods", "memory.swap.max"), "max\n");

        var facts = HostFacts.Detect(_root);

        Assert.True(facts.CgroupV2);
        Assert.True(facts.SwapAccounting);
        Assert.True(facts.Hugetlb);
    }

    [Fact]
    public void Detect_V2_NoSwapFileNoHugetlb()
    {
        File.WriteAllText(Path.Combine(_root, "cgroup.controllers"), "cpu memory pids\n");

        var facts = HostFacts.Detect(_root);

        Assert.False(facts.SwapAccounting);
        Assert.False(facts.Hugetlb);
    }
}
