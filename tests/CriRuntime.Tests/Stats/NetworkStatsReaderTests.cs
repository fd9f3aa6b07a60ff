using System.Text;
using CriRuntime.Stats;

namespace CriRuntime.Tests.Stats;

public sealed class NetworkStatsReaderTests
{
    private const string NetDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:     840      10    0    0    0     0          0         0      840      10    0    0    0     0       0          0
          eth0: 18446744073709551615  123    4    5    0     0          0         0     9876      98    6    7    0     0       0          0

        """;

    [Fact]
    public void Parse_ProcNetDev_CountersPerInterface()
    {
        var interfaces = NetworkStatsReader.Parse(Encoding.ASCII.GetBytes(NetDev));

        Assert.Equal(["lo", "eth0"], interfaces.Select(i => i.Name));
        var eth0 = interfaces[1];
        Assert.Equal(new InterfaceCounters("eth0", ulong.MaxValue, 123, 4, 5, 9876, 98, 6, 7), eth0);
    }

    [Fact]
    public void ReadFile_OwnNamespace_HasLoopback()
    {
        var interfaces = NetworkStatsReader.ReadFile("/proc/self/net/dev")!;
        Assert.Contains(interfaces, i => i.Name == "lo");
        Assert.Null(NetworkStatsReader.ReadFile("/proc/self/net/nonexistent"));
    }

    [Fact]
    public void FromNetwork_SkipsLoopbackAndLabelsInterface()
    {
        var interfaces = NetworkStatsReader.Parse(Encoding.ASCII.GetBytes(NetDev));

        var metrics = CadvisorMetrics.FromNetwork(interfaces, 42, "podid", "POD", "").ToList();

        Assert.Equal(8, metrics.Count);
        Assert.All(metrics, m => Assert.Equal(["podid", "POD", "", "eth0"], m.LabelValues));
        Assert.Equal(9876UL, metrics.Single(m => m.Name == "container_network_transmit_bytes_total").Value.Value);
        Assert.Equal(4UL, metrics.Single(m => m.Name == "container_network_receive_errors_total").Value.Value);
    }
}
