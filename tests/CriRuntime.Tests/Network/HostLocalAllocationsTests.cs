using CriRuntime.Network;

namespace CriRuntime.Tests.Network;

public sealed class HostLocalAllocationsTests : IDisposable
{
    private const string Dead = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string Live = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private readonly string _dir = Directory.CreateTempSubdirectory("hostlocal-").FullName;

    [Fact]
    public void Sweep_OnlyFilesNamingOneOfOurDeadIds_AreDeleted()
    {
        Write("10.0.0.2", Dead + "\r\neth0");
        Write("10.0.0.3", Live + "\r\neth0");
        Write("10.0.0.4", "other-runtime-id\r\neth0");
        Write("10.0.0.5", Dead.ToUpperInvariant() + "\r\neth0");
        Write("lock", "");
        Write("last_reserved_ip.0", "10.0.0.5");

        var removed = HostLocalAllocations.Sweep(_dir, id => id != Live);

        Assert.Equal([Path.Combine(_dir, "10.0.0.2")], removed);
        Assert.Equal(["10.0.0.3", "10.0.0.4", "10.0.0.5", "last_reserved_ip.0", "lock"],
            Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Sweep_MissingDirectory_RemovesNothing() =>
        Assert.Empty(HostLocalAllocations.Sweep(Path.Combine(_dir, "absent"), _ => true));

    [Fact]
    public void Directories_HostLocalIpam_DataDirOrDefaultPlusNetworkName()
    {
        var list = CniNetworkList.Parse("""
            {"cniVersion":"1.0.0","name":"net","plugins":[
              {"type":"bridge","ipam":{"type":"host-local","dataDir":"/tmp/ipam"}},
              {"type":"ptp","ipam":{"type":"host-local"}},
              {"type":"macvlan","ipam":{"type":"dhcp"}}]}
            """, "test");

        Assert.Equal(["/tmp/ipam/net", "/var/lib/cni/networks/net"], HostLocalAllocations.Directories(list));
    }

    [Theory]
    [InlineData("0.3.1", false)]
    [InlineData("0.4.0", true)]
    [InlineData("1.0.0", true)]
    [InlineData("garbage", false)]
    public void SupportsCheck_FromCniVersion040(string version, bool expected) =>
        Assert.Equal(expected, CniNetwork.SupportsCheck(CniNetworkList.Parse($$"""{"cniVersion":"{{version}}","name":"n","type":"bridge"}""", "test")));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(_dir, name), content);
}
