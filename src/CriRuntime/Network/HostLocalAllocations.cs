using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CriRuntime.Network;

/// <summary>
/// The host-local IPAM plugin's state: one file per allocated IP under dataDir/&lt;network name&gt;/, whose first line
/// is the container id it was allocated to. Plugins before spec 1.1 have no GC, so a pod whose DEL never ran
/// (daemon killed, plugin failure) holds its IP forever; this finds and releases such allocations of ours.
/// </summary>
internal static partial class HostLocalAllocations
{
    public const string DefaultDataDir = "/var/lib/cni/networks";

    /// <summary>The allocation directories of every host-local IPAM in the list.</summary>
    public static IEnumerable<string> Directories(CniNetworkList list) =>
        list.Plugins
            .Select(p => p["ipam"] as JsonObject)
            .Where(ipam => ipam?["type"]?.GetValueKind() == JsonValueKind.String && ipam["type"]!.GetValue<string>() == "host-local")
            .Select(ipam => ipam!["dataDir"]?.GetValueKind() == JsonValueKind.String ? ipam["dataDir"]!.GetValue<string>() : DefaultDataDir)
            .Select(dataDir => Path.Combine(dataDir, list.Name))
            .Distinct(StringComparer.Ordinal);

    /// <summary>
    /// Deletes the allocation files in <paramref name="dir"/> that name a container id shaped like ours (64 lower-case
    /// hex) for which <paramref name="isLeaked"/> says yes. Files of other runtimes, host-local's lock and its
    /// last-reserved markers are never touched. Returns the deleted paths.
    /// </summary>
    public static IReadOnlyList<string> Sweep(string dir, Func<string, bool> isLeaked)
    {
        var removed = new List<string>();
        if (!Directory.Exists(dir)) return removed;
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(file);
            if (name == "lock" || name.StartsWith("last_reserved_ip", StringComparison.Ordinal)) continue;
            string owner;
            try
            {
                using var reader = new StreamReader(file);
                owner = (reader.ReadLine() ?? "").Trim();
            }
            catch (IOException)
            {
                continue; // Released meanwhile.
            }
            if (!OurId().IsMatch(owner) || !isLeaked(owner)) continue;
            File.Delete(file);
            removed.Add(file);
        }
        return removed;
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex OurId();
}
