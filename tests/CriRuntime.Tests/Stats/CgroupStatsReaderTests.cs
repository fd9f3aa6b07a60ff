using CriRuntime.Stats;

namespace CriRuntime.Tests.Stats;

public sealed class CgroupStatsReaderTests
{
    private const string Pod = "kubepods/pod123/abc";

    [Fact]
    public void Read_V1_CpuMemoryAndProcesses()
    {
        using var fx = new CgroupFixture(unified: false);
        fx.Write($"cpuacct/{Pod}/cpuacct.usage", "123456789\n");
        fx.Write($"cpuacct/{Pod}/cpuacct.stat", "user 30\nsystem 12\n");
        fx.Write($"memory/{Pod}/memory.usage_in_bytes", "10485760\n");
        fx.Write($"memory/{Pod}/memory.limit_in_bytes", "67108864\n");
        fx.Write($"memory/{Pod}/memory.stat",
            "cache 100\nrss 200\ninactive_file 999999999\ntotal_cache 4096000\ntotal_rss 6000000\ntotal_swap 0\n" +
            "total_pgfault 5000\ntotal_pgmajfault 7\ntotal_inactive_file 2097152\ntotal_active_file 1000\n");
        fx.Write($"pids/{Pod}/pids.current", "3\n");

        var stats = new CgroupStatsReader(fx.Root).Read("/" + Pod)!;

        Assert.Equal(123456789UL, stats.CpuUsageNanos);
        Assert.Equal(300_000_000UL, stats.CpuUserNanos);
        Assert.Equal(120_000_000UL, stats.CpuSystemNanos);
        Assert.Equal(10485760UL, stats.MemoryUsageBytes);
        Assert.Equal(10485760UL - 2097152, stats.WorkingSetBytes);
        Assert.Equal(6000000UL, stats.RssBytes);
        Assert.Equal(4096000UL, stats.CacheBytes);
        Assert.Equal(5000UL, stats.PageFaults);
        Assert.Equal(7UL, stats.MajorPageFaults);
        Assert.Equal(67108864UL, stats.MemoryLimitBytes);
        Assert.Equal(67108864UL - (10485760UL - 2097152), stats.AvailableBytes);
        Assert.Equal(3UL, stats.ProcessCount);
        Assert.True(stats.Timestamp > 0);
    }

    [Fact]
    public void Read_V1NoLimitAndNoPidsController_NoAvailableAndProcsCounted()
    {
        using var fx = new CgroupFixture(unified: false);
        fx.Write($"memory/{Pod}/memory.usage_in_bytes", "4096\n");
        fx.Write($"memory/{Pod}/memory.limit_in_bytes", "9223372036854771712\n");
        fx.Write($"memory/{Pod}/memory.stat", "total_inactive_file 8192\n");
        fx.Write($"memory/{Pod}/cgroup.procs", "10\n11\n12\n");

        var stats = new CgroupStatsReader(fx.Root).Read(Pod)!;

        Assert.Equal(0UL, stats.WorkingSetBytes); // inactive file above usage: floored at 0
        Assert.Null(stats.MemoryLimitBytes);
        Assert.Null(stats.AvailableBytes);
        Assert.Null(stats.CpuUsageNanos);
        Assert.Equal(3UL, stats.ProcessCount);
    }

    [Fact]
    public void Read_V2_CpuMemoryAndProcesses()
    {
        using var fx = new CgroupFixture(unified: true);
        fx.Write($"{Pod}/cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 0\n");
        fx.Write($"{Pod}/memory.current", "20971520\n");
        fx.Write($"{Pod}/memory.max", "max\n");
        fx.Write($"{Pod}/memory.swap.current", "0\n");
        fx.Write($"{Pod}/memory.stat",
            "anon 8388608\nfile 12582912\nkernel_stack 16384\ninactive_anon 0\nactive_anon 8388608\n" +
            "inactive_file 4194304\nactive_file 8388608\npgfault 4242\npgmajfault 3\n");
        fx.Write($"{Pod}/pids.current", "5\n");

        var reader = new CgroupStatsReader(fx.Root);
        var stats = reader.Read(Pod)!;

        Assert.True(reader.IsUnified);
        Assert.Equal(2_500_000_000UL, stats.CpuUsageNanos);
        Assert.Equal(2_000_000_000UL, stats.CpuUserNanos);
        Assert.Equal(500_000_000UL, stats.CpuSystemNanos);
        Assert.Equal(20971520UL, stats.MemoryUsageBytes);
        Assert.Equal(20971520UL - 4194304, stats.WorkingSetBytes);
        Assert.Equal(8388608UL, stats.RssBytes);
        Assert.Equal(4242UL, stats.PageFaults);
        Assert.Equal(3UL, stats.MajorPageFaults);
        Assert.Null(stats.MemoryLimitBytes);
        Assert.Null(stats.AvailableBytes);
        Assert.Equal(5UL, stats.ProcessCount);
    }

    [Fact]
    public void Read_V2Limit_AvailableIsLimitMinusWorkingSet()
    {
        using var fx = new CgroupFixture(unified: true);
        fx.Write($"{Pod}/memory.current", "3000\n");
        fx.Write($"{Pod}/memory.max", "10000\n");
        fx.Write($"{Pod}/memory.stat", "inactive_file 1000\n");

        var stats = new CgroupStatsReader(fx.Root).Read(Pod)!;

        Assert.Equal(2000UL, stats.WorkingSetBytes);
        Assert.Equal(8000UL, stats.AvailableBytes);
    }

    [Theory]
    [InlineData("kubepods/missing")]
    [InlineData("../etc")]
    [InlineData("/")]
    public void Read_MissingOrEscapingPath_Null(string path)
    {
        using var fx = new CgroupFixture(unified: true);
        Assert.Null(new CgroupStatsReader(fx.Root).Read(path));
    }
}
