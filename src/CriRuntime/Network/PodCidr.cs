using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CriRuntime.Configuration;
using CriRuntime.Errors;
using CriRuntime.State;

namespace CriRuntime.Network;

/// <summary>
/// The node's pod CIDR(s) kubelet sends with UpdateRuntimeConfig (runtime_config.network_config.pod_cidr, one
/// CIDR or a comma-separated dual-stack pair). Kept in memory and in root/network/pod-cidr so a restarted daemon
/// still allocates from it; handed to CNI as the "ipRanges" capability (CNI conventions), so only plugins that
/// declare it (host-local with capabilities.ipRanges) receive it.
/// </summary>
internal sealed class PodCidr
{
    private readonly string _path;
    private volatile IReadOnlyList<string> _cidrs;

    public PodCidr(DaemonOptions options)
    {
        _path = Path.Combine(options.Root, "network", "pod-cidr");
        AtomicFile.RemoveTempFiles(Path.GetDirectoryName(_path)!);
        _cidrs = File.Exists(_path) ? Parse(File.ReadAllText(_path)) : [];
    }

    public IReadOnlyList<string> Cidrs => _cidrs;

    /// <summary>Replaces the pod CIDR; empty clears it.</summary>
    /// <exception cref="InvalidArgumentException">Not a CIDR list.</exception>
    public void Set(string podCidr)
    {
        var cidrs = Parse(podCidr);
        if (cidrs.SequenceEqual(_cidrs)) return;
        if (cidrs.Count == 0) File.Delete(_path);
        else AtomicFile.Write(_path, Encoding.UTF8.GetBytes(string.Join(',', cidrs) + "\n"));
        _cidrs = cidrs;
    }

    /// <summary>The ipRanges runtimeConfig value: one range set per CIDR, or null when none is set.</summary>
    public JsonNode? IpRanges()
    {
        var cidrs = _cidrs;
        if (cidrs.Count == 0) return null;
        return new JsonArray([.. cidrs.Select(c => (JsonNode)new JsonArray(new JsonObject { ["subnet"] = c }))]);
    }

    public static IReadOnlyList<string> Parse(string podCidr)
    {
        var cidrs = new List<string>();
        foreach (var part in podCidr.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Host bits must be zero: "10.88.7.1/24" is a typo of an address, not a range.
            if (!IPNetwork.TryParse(part, out var network) || !IPAddress.TryParse(part.Split('/')[0], out var address) ||
                !address.Equals(network.BaseAddress))
            {
                throw new InvalidArgumentException($"pod_cidr \"{podCidr}\": \"{part}\" is not a CIDR (e.g. 10.244.1.0/24)");
            }
            cidrs.Add(network.ToString());
        }
        return cidrs;
    }
}
