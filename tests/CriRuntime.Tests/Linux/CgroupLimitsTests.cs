using CriRuntime.Linux;
using CriRuntime.Tests.Stats;

namespace CriRuntime.Tests.Linux;

public sealed class CgroupLimitsTests
{
    private const string Pod = "kubepods/pod1";

    [Fact]
    public void Apply_V1_WritesControllerFiles()
    {
        using var fx = new CgroupFixture(unified: false);
        foreach (var f in new[] { "cpu/" + Pod + "/cpu.shares", "cpu/" + Pod + "/cpu.cfs_period_us", "cpu/" + Pod + "/cpu.cfs_quota_us", "memory/" + Pod + "/memory.limit_in_bytes" })
        {
            fx.Write(f, "0\n");
        }

        new CgroupLimits(fx.Root).Apply("/" + Pod, new CgroupLimitValues { CpuShares = 512, CpuPeriod = 100000, CpuQuota = 50000, MemoryLimitBytes = 1 << 26 });

        Assert.Equal("512", fx.Read($"cpu/{Pod}/cpu.shares").Trim());
        Assert.Equal("100000", fx.Read($"cpu/{Pod}/cpu.cfs_period_us").Trim());
        Assert.Equal("50000", fx.Read($"cpu/{Pod}/cpu.cfs_quota_us").Trim());
        Assert.Equal("67108864", fx.Read($"memory/{Pod}/memory.limit_in_bytes").Trim());
    }

    [Fact]
    public void Apply_V2_WritesWeightMaxAndMemoryMax()
    {
        using var fx = new CgroupFixture(unified: true);
        foreach (var f in new[] { "cpu.weight", "cpu.max", "memory.max" }) fx.Write($"{Pod}/{f}", "\n");

        new CgroupLimits(fx.Root).Apply(Pod, new CgroupLimitValues { CpuShares = 1024, CpuPeriod = 100000, CpuQuota = 200000, MemoryLimitBytes = 1 << 20 });

        Assert.Equal("39", fx.Read($"{Pod}/cpu.weight").Trim());
        Assert.Equal("200000 100000", fx.Read($"{Pod}/cpu.max").Trim());
        Assert.Equal("1048576", fx.Read($"{Pod}/memory.max").Trim());
    }

    [Fact]
    public void Apply_MissingCgroup_IOException()
    {
        using var fx = new CgroupFixture(unified: true);
        Assert.Throws<IOException>(() => new CgroupLimits(fx.Root).Apply(Pod, new CgroupLimitValues { MemoryLimitBytes = 1 }));
    }

    [Theory]
    [InlineData(2UL, 1UL)]
    [InlineData(1024UL, 39UL)]
    [InlineData(262144UL, 10000UL)]
    public void WeightOfShares_AsRunc(ulong shares, ulong weight) => Assert.Equal(weight, CgroupLimits.WeightOfShares(shares));
}
