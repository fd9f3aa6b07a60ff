using System.Text.RegularExpressions;

namespace CriRuntime.IntegrationTests.Harness;

/// <summary>
/// A bridge network of the test's own: a unique bridge name, /24 subnet, network name and host-local data dir,
/// so test daemons running in parallel never share addresses or iptables rules. Dispose deletes the bridge and
/// any iptables rule that still names this network (a passing test leaves none: its leak check says so).
/// </summary>
public sealed partial class PodNetwork : IDisposable
{
    private static int s_counter;

    private PodNetwork(string dir, bool portmap, bool ipRanges)
    {
        var n = (Environment.ProcessId * 31 + Interlocked.Increment(ref s_counter)) % 200 + 20;
        var tag = $"{Environment.ProcessId % 10000:x4}{n:x2}";
        Bridge = "crt" + tag;
        Name = "crtnet" + tag;
        // A network taking kubelet's pod CIDR (ipRanges) lives in 10.88.0.0/16, where pod CIDR tests pick theirs.
        var net = ipRanges ? "10.88" : "10.231";
        Subnet = $"{net}.{n}.0/24";
        Gateway = $"{net}.{n}.1";
        DataDir = Path.Combine(dir, "ipam");
        var capabilities = ipRanges ? "\"capabilities\":{\"ipRanges\":true}," : "";
        // host-local adds runtimeConfig.ipRanges to its own ranges (one address per range set), so a network
        // taking the pod CIDR has none of its own: pods get an address only once the pod CIDR is set.
        var ranges = ipRanges ? "" : $",\"ranges\":[[{{\"subnet\":\"{Subnet}\"}}]]";
        var plugins = $$$"""
            {"type":"bridge","bridge":"{{{Bridge}}}","isGateway":true,"ipMasq":true,"hairpinMode":true,{{{capabilities}}}
             "ipam":{"type":"host-local","dataDir":"{{{DataDir}}}","routes":[{"dst":"0.0.0.0/0"}]{{{ranges}}}}}
            """;
        if (portmap) plugins += """,{"type":"portmap","capabilities":{"portMappings":true}}""";
        plugins += """,{"type":"bandwidth","capabilities":{"bandwidth":true}}""";
        Conflist = $$"""{"cniVersion":"1.0.0","name":"{{Name}}","plugins":[{{plugins}}]}""";
    }

    public string Bridge { get; }
    public string Name { get; }
    public string Subnet { get; }
    public string Gateway { get; }
    public string DataDir { get; }
    public string Conflist { get; }

    /// <summary>Creates the network for a daemon and writes its conflist into the daemon's CNI config dir.</summary>
    /// <param name="ipRanges">The bridge declares the ipRanges capability and host-local has no range of its own: it
    /// allocates from the pod CIDR set with UpdateRuntimeConfig (the test picks it inside <see cref="Subnet"/>).</param>
    public static PodNetwork For(DaemonSettings settings, bool portmap = true, bool ipRanges = false)
    {
        var network = new PodNetwork(settings.Dir, portmap, ipRanges);
        File.WriteAllText(Path.Combine(settings.CniConfDir, "10-test.conflist"), network.Conflist);
        return network;
    }

    /// <summary>The host-local allocations (one file per IP), without its lock and last-reserved bookkeeping.</summary>
    public IReadOnlyList<string> Allocations() =>
        Directory.Exists(Path.Combine(DataDir, Name))
            ? Directory.GetFiles(Path.Combine(DataDir, Name)).Select(f => Path.GetFileName(f)).Where(f => f != "lock" && !f.StartsWith("last_reserved_ip.", StringComparison.Ordinal)).Order().ToList()
            : [];

    /// <summary>iptables rules (nat and filter) that name this network, its bridge or its subnet.</summary>
    public IReadOnlyList<string> IptablesRules()
    {
        var rules = new List<string>();
        foreach (var table in new[] { "nat", "filter" })
        {
            var (_, stdout, _) = HostCommand.Run("iptables-save", "-t", table);
            rules.AddRange(stdout.Split('\n').Where(l => l.StartsWith("-A ", StringComparison.Ordinal) &&
                (l.Contains(Name) || l.Contains(Bridge) || l.Contains(Subnet))).Select(l => table + " " + l));
        }
        return rules;
    }

    public void Dispose()
    {
        var chains = new HashSet<(string Table, string Chain)>();
        foreach (var rule in IptablesRules())
        {
            var parts = rule.Split(' ', 2);
            var spec = SplitArgs(parts[1]["-A ".Length..]);
            HostCommand.Run("iptables", ["-t", parts[0], "-D", .. spec]);
            // A per-pod chain (CNI-<hash>) that only our rule jumped to goes too.
            var jump = Array.IndexOf(spec, "-j");
            if (jump >= 0 && jump + 1 < spec.Length && spec[jump + 1].StartsWith("CNI-", StringComparison.Ordinal) &&
                !spec[jump + 1].StartsWith("CNI-HOSTPORT", StringComparison.Ordinal))
            {
                chains.Add((parts[0], spec[jump + 1]));
            }
        }
        foreach (var (table, chain) in chains)
        {
            HostCommand.Run("iptables", "-t", table, "-F", chain);
            HostCommand.Run("iptables", "-t", table, "-X", chain);
        }
        HostCommand.Run("ip", "link", "del", Bridge);
    }

    private static string[] SplitArgs(string line) =>
        ArgPattern().Matches(line).Select(m => m.Groups[1].Success ? m.Groups[1].Value.Replace("\\\"", "\"", StringComparison.Ordinal) : m.Value).ToArray();

    [GeneratedRegex("\"((?:[^\"\\\\]|\\\\.)*)\"|\\S+")]
    private static partial Regex ArgPattern();
}
