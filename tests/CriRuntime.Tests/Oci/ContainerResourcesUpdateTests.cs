using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Oci;
using ContainerResources = CriRuntime.Oci.ContainerResources;

namespace CriRuntime.Tests.Oci;

/// <summary>The linux.resources object UpdateContainerResources hands to `runtime update --resources -`.</summary>
public sealed class ContainerResourcesUpdateTests
{
    private static readonly ResourceHost V1WithSwap = new(CgroupV2: false, SwapAvailable: true, HugetlbAvailable: true);

    [Fact]
    public void Limits_CpuMemoryHugepages_OciJsonAsRuncReadsIt()
    {
        var r = new LinuxContainerResources { CpuPeriod = 100000, CpuQuota = 150000, CpuShares = 256, CpusetCpus = "0", MemoryLimitInBytes = 16 << 20 };
        r.HugepageLimits.Add(new HugepageLimit { PageSize = "2MB", Limit = 4 << 20 });

        var json = JsonSerializer.Serialize(ContainerResources.Limits(r, V1WithSwap, []), OciJsonContext.Default.SpecResources);

        Assert.Equal("""{"cpu":{"shares":256,"quota":150000,"period":100000,"cpus":"0"},"memory":{"limit":16777216,"swap":16777216},"hugepageLimits":[{"pageSize":"2MB","limit":4194304}]}""", json);
    }

    [Fact]
    public void Limits_NoSwapAccounting_NoHugetlb_SwapLeftOutHugepagesWarned()
    {
        var r = new LinuxContainerResources { MemoryLimitInBytes = 32 << 20, MemorySwapLimitInBytes = 64 << 20 };
        r.HugepageLimits.Add(new HugepageLimit { PageSize = "2MB", Limit = 4 << 20 });
        var warnings = new List<string>();

        var limits = ContainerResources.Limits(r, new ResourceHost(false, false, false), warnings);

        Assert.Equal(new SpecMemory { Limit = 32 << 20 }, limits.Memory);
        Assert.Null(limits.HugepageLimits);
        Assert.Single(warnings);
        Assert.Null(limits.Devices);
    }

    [Fact]
    public void Limits_UnifiedOnV1OrNegative_InvalidArgument()
    {
        Assert.Throws<InvalidArgumentException>(() => ContainerResources.Limits(
            new LinuxContainerResources { Unified = { ["memory.high"] = "1" } }, V1WithSwap, []));
        Assert.Throws<InvalidArgumentException>(() => ContainerResources.Limits(
            new LinuxContainerResources { MemoryLimitInBytes = -1 }, V1WithSwap, []));
        var v2 = ContainerResources.Limits(new LinuxContainerResources { Unified = { ["memory.high"] = "1" } }, V1WithSwap with { CgroupV2 = true }, []);
        Assert.Equal("1", v2.Unified!["memory.high"]);
    }
}
