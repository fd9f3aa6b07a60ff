using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace CriRuntime.Network;

/// <summary>The IPs of a CNI result ("ips": [{"address": "10.88.0.5/16", ...}]), IPv4 first as kubelet expects.</summary>
internal static class CniResult
{
    public static IReadOnlyList<string> Ips(string? resultJson)
    {
        if (string.IsNullOrEmpty(resultJson)) return [];
        var ips = new List<IPAddress>();
        if (JsonNode.Parse(resultJson) is JsonObject result && result["ips"] is JsonArray array)
        {
            foreach (var entry in array)
            {
                var address = entry?["address"]?.GetValue<string>();
                if (address is null) continue;
                var slash = address.IndexOf('/');
                if (IPAddress.TryParse(slash < 0 ? address : address[..slash], out var ip)) ips.Add(ip);
            }
        }
        return ips.OrderBy(ip => ip.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).Select(ip => ip.ToString()).ToList();
    }
}
