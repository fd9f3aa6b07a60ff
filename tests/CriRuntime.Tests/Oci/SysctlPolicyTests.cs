using CriRuntime.Errors;
using CriRuntime.Oci;

namespace CriRuntime.Tests.Oci;

public sealed class SysctlPolicyTests
{
    [Theory]
    [InlineData("kernel.shm_rmid_forced", "1")]
    [InlineData("kernel.msgmax", "65536")]
    [InlineData("kernel.sem", "250 32000 100 128")]
    [InlineData("fs.mqueue.msg_max", "10")]
    [InlineData("net.ipv4.ip_local_port_range", "1024 65000")]
    [InlineData("net/ipv4/tcp_syncookies", "1")]
    public void Validate_NamespacedSysctl_Accepted(string key, string value)
    {
        var result = SysctlPolicy.Validate(new Dictionary<string, string> { [key] = value }, hostNetwork: false, hostIpc: false);

        Assert.Equal(value, result[key.Replace('/', '.')]);
    }

    [Theory]
    [InlineData("kernel.hostname", "x")]
    [InlineData("vm.overcommit_memory", "1")]
    [InlineData("kernel.core_pattern", "|/bin/sh")]
    [InlineData("net..ipv4", "1")]
    [InlineData("net.ipv4.ip_forward", "1+kernel.core_pattern=|/x")]
    [InlineData("net.ipv4.ip_forward", "1;kernel.x=1")]
    [InlineData("net.ipv4.ip_forward", "1\nkernel.x=1")]
    [InlineData("net.ipv4.ip_forward", "")]
    public void Validate_UnsafeKeyOrValue_InvalidArgumentNamingKey(string key, string value)
    {
        var e = Assert.Throws<InvalidArgumentException>(() =>
            SysctlPolicy.Validate(new Dictionary<string, string> { [key] = value }, hostNetwork: false, hostIpc: false));

        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Validate_NetSysctlWithHostNetwork_Rejected()
    {
        Assert.Throws<InvalidArgumentException>(() =>
            SysctlPolicy.Validate(new Dictionary<string, string> { ["net.ipv4.ip_forward"] = "1" }, hostNetwork: true, hostIpc: false));
        Assert.Throws<InvalidArgumentException>(() =>
            SysctlPolicy.Validate(new Dictionary<string, string> { ["kernel.shmmax"] = "1" }, hostNetwork: false, hostIpc: true));
    }
}
