using CriRuntime.Api.V1;
using CriRuntime.Containers;
using CriRuntime.Errors;

namespace CriRuntime.Tests.Containers;

public sealed class HostDeviceResolverTests
{
    [Fact]
    public void Resolve_DevNull_IsCharOneThree_AtTheContainerPath()
    {
        var d = Assert.Single(HostDeviceResolver.Resolve([new Device { HostPath = "/dev/null", ContainerPath = "/dev/mynull", Permissions = "rw" }]));

        Assert.Equal(("c", 1L, 3L, "/dev/mynull", "rw"), (d.Type, d.Major, d.Minor, d.ContainerPath, d.Permissions));
    }

    [Fact]
    public void Resolve_MissingOrNotADevice_IsInvalidArgument()
    {
        Assert.Throws<InvalidArgumentException>(() => HostDeviceResolver.Resolve([new Device { HostPath = "/dev/does-not-exist" }]));
        Assert.Throws<InvalidArgumentException>(() => HostDeviceResolver.Resolve([new Device { HostPath = "/etc/hostname" }]));
    }

    [Fact]
    public void AllHostDevices_HasDevNullButNothingUnderPts()
    {
        var all = HostDeviceResolver.AllHostDevices();

        Assert.Contains(all, d => d.HostPath == "/dev/null");
        Assert.DoesNotContain(all, d => d.HostPath.StartsWith("/dev/pts/", StringComparison.Ordinal));
    }
}
