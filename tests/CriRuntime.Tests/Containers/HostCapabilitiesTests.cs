using CriRuntime.Containers;

namespace CriRuntime.Tests.Containers;

public sealed class HostCapabilitiesTests
{
    [Fact]
    public void Parse_ThisHostsMask_EverythingButSysResource()
    {
        var caps = HostCapabilities.Parse("Name:\tx\nCapPrm:\t0000000000000000\nCapBnd:\t000001fffeffffff\nCapAmb:\t0\n");

        Assert.Equal(40, caps.Count);
        Assert.Equal("CAP_CHOWN", caps[0]);
        Assert.Equal("CAP_CHECKPOINT_RESTORE", caps[^1]);
        Assert.DoesNotContain("CAP_SYS_RESOURCE", caps);
    }

    [Fact]
    public void Parse_DefaultsMask_IsTheNineDefaults()
    {
        Assert.Equal(CriRuntime.Oci.ContainerCapabilities.Defaults.Order(), HostCapabilities.Parse("CapBnd:\t00000000000005fb\n").Order());
    }

    [Fact]
    public void Read_ThisProcess_HasAtLeastChown()
    {
        Assert.Contains("CAP_CHOWN", HostCapabilities.Read());
    }
}
