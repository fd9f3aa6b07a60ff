using CriRuntime.Api.V1;
using CriRuntime.Sandboxes;

namespace CriRuntime.Tests.Sandboxes;

public sealed class PodResourcesTests
{
    [Fact]
    public void Combine_ResourcesPlusOverhead()
    {
        var limits = PodResources.Combine(
            new LinuxContainerResources { CpuShares = 1024, CpuPeriod = 100000, CpuQuota = 150000, MemoryLimitInBytes = 256 << 20 },
            new LinuxContainerResources { CpuShares = 128, CpuPeriod = 100000, CpuQuota = 10000, MemoryLimitInBytes = 32 << 20 });

        Assert.Equal(1152UL, limits.CpuShares);
        Assert.Equal(100000UL, limits.CpuPeriod);
        Assert.Equal(160000L, limits.CpuQuota);
        Assert.Equal(288L << 20, limits.MemoryLimitBytes);
    }

    [Fact]
    public void Combine_UnlimitedResources_OverheadDoesNotAddALimit()
    {
        var limits = PodResources.Combine(new LinuxContainerResources { CpuShares = 2 }, new LinuxContainerResources { MemoryLimitInBytes = 32 << 20, CpuQuota = 1000 });

        Assert.Null(limits.MemoryLimitBytes);
        Assert.Null(limits.CpuQuota);
        Assert.Equal(2UL, limits.CpuShares);
    }
}
