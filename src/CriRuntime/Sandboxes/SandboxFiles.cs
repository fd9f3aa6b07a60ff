using System.Text;
using CriRuntime.Api.V1;

namespace CriRuntime.Sandboxes;

/// <summary>The per-pod files that containers mount: hostname, hosts, resolv.conf.</summary>
internal static class SandboxFiles
{
    public const string HostResolvConf = "/etc/resolv.conf";

    public static string Hosts(string hostname)
    {
        var sb = new StringBuilder();
        sb.Append("127.0.0.1\tlocalhost\n");
        sb.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        if (hostname.Length > 0) sb.Append("127.0.1.1\t").Append(hostname).Append('\n');
        return sb.ToString();
    }

    /// <summary>resolv.conf from the pod's DNS config, or null when it sets nothing (the host's file is used).</summary>
    public static string? ResolvConf(DNSConfig? dns)
    {
        if (dns is null || (dns.Servers.Count == 0 && dns.Searches.Count == 0 && dns.Options.Count == 0)) return null;
        var sb = new StringBuilder();
        if (dns.Searches.Count > 0) sb.Append("search ").AppendJoin(' ', dns.Searches).Append('\n');
        foreach (var server in dns.Servers) sb.Append("nameserver ").Append(server).Append('\n');
        if (dns.Options.Count > 0) sb.Append("options ").AppendJoin(' ', dns.Options).Append('\n');
        return sb.ToString();
    }

    public const string HostHosts = "/etc/hosts";

    /// <summary>Writes hostname, hosts and resolv.conf into <paramref name="dir"/>.</summary>
    /// <param name="hostNetwork">The pod shares the node's network: its hosts file is the node's, as containerd and CRI-O do.</param>
    public static void Write(string dir, string hostname, DNSConfig? dns, bool hostNetwork = false)
    {
        File.WriteAllText(Path.Combine(dir, "hostname"), hostname + "\n");
        if (hostNetwork && File.Exists(HostHosts)) File.Copy(HostHosts, Path.Combine(dir, "hosts"), overwrite: true);
        else File.WriteAllText(Path.Combine(dir, "hosts"), Hosts(hostname));
        var resolv = ResolvConf(dns);
        if (resolv is not null)
        {
            File.WriteAllText(Path.Combine(dir, "resolv.conf"), resolv);
        }
        else if (File.Exists(HostResolvConf))
        {
            File.Copy(HostResolvConf, Path.Combine(dir, "resolv.conf"), overwrite: true);
        }
        else
        {
            File.WriteAllText(Path.Combine(dir, "resolv.conf"), "");
        }
    }
}
