using CriRuntime.Api.V1;
using CriRuntime.Sandboxes;

namespace CriRuntime.Tests.Sandboxes;

public sealed class SandboxFilesTests
{
    [Fact]
    public void ResolvConf_FromDnsConfig()
    {
        var dns = new DNSConfig { Servers = { "10.96.0.10", "10.96.0.11" }, Searches = { "ns.svc.cluster.local" }, Options = { "ndots:5", "edns0" } };

        Assert.Equal("search ns.svc.cluster.local\nnameserver 10.96.0.10\nnameserver 10.96.0.11\noptions ndots:5 edns0\n",
            SandboxFiles.ResolvConf(dns));
    }

    [Fact]
    public void ResolvConf_EmptyOrMissing_UsesHostFile()
    {
        Assert.Null(SandboxFiles.ResolvConf(null));
        Assert.Null(SandboxFiles.ResolvConf(new DNSConfig()));
    }

    [Fact]
    public void Hosts_HasLocalhostAndHostname()
    {
        var hosts = SandboxFiles.Hosts("web-0");

        Assert.Contains("127.0.0.1\tlocalhost\n", hosts);
        Assert.Contains("\tweb-0\n", hosts);
    }
}
