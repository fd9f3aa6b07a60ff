using CriRuntime.Errors;
using CriRuntime.Oci;

namespace CriRuntime.Tests.Oci;

public sealed class MountPropagationCheckTests
{
    private const string MountInfo =
        "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n" +
        "30 22 0:25 / /var/lib/kubelet rw shared:5 - tmpfs tmpfs rw\n" +
        "31 22 0:26 / /mnt/slave rw master:7 - tmpfs tmpfs rw\n" +
        "32 22 0:27 / /mnt/with\\040space rw shared:9 - tmpfs tmpfs rw\n";

    [Theory]
    [InlineData("/var/lib/kubelet/pods/x", true)]
    [InlineData("/var/lib/kubelet/pods/x", false)]
    [InlineData("/mnt/slave/a", false)]
    [InlineData("/mnt/with space/a", true)]
    public void Require_PropagatingMount_Passes(string path, bool needShared)
    {
        MountPropagationCheck.Require(MountInfo, path, needShared);
    }

    [Theory]
    [InlineData("/srv/data", false)]
    [InlineData("/mnt/slave/a", true)]
    [InlineData("/var/lib/kubeletx", false)]
    public void Require_PrivateOrSlaveForShared_IsFailedPrecondition(string path, bool needShared)
    {
        var e = Assert.Throws<FailedPreconditionException>(() => MountPropagationCheck.Require(MountInfo, path, needShared));
        Assert.Contains(path, e.Message);
    }
}
