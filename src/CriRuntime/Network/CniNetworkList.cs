using System.Text.Json;
using System.Text.Json.Nodes;

namespace CriRuntime.Network;

/// <summary>
/// A CNI network configuration list (spec 1.0 "conflist"): a name, a cniVersion and the plugins to chain.
/// A single-plugin .conf is wrapped into a list, as libcni does.
/// </summary>
internal sealed record CniNetworkList(string Name, string CniVersion, IReadOnlyList<JsonObject> Plugins, string Source)
{
    public static CniNetworkList Load(string path) => Parse(File.ReadAllText(path), path);

    public static CniNetworkList Parse(string json, string source)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{source}: not a JSON object");
        var name = root["name"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: no \"name\"");
        var version = root["cniVersion"]?.GetValue<string>() ?? "0.4.0";
        if (root["plugins"] is JsonArray plugins)
        {
            var list = plugins.Select((p, i) => p as JsonObject ?? throw new InvalidDataException($"{source}: plugin {i} is not an object")).ToList();
            if (list.Count == 0) throw new InvalidDataException($"{source}: \"plugins\" is empty");
            foreach (var p in list)
            {
                if (p["type"]?.GetValueKind() != JsonValueKind.String) throw new InvalidDataException($"{source}: a plugin has no \"type\"");
            }
            return new CniNetworkList(name, version, list, source);
        }
        if (root["type"]?.GetValueKind() != JsonValueKind.String) throw new InvalidDataException($"{source}: no plugin \"type\"");
        return new CniNetworkList(name, version, [root], source);
    }

    /// <summary>The list as one conflist document, persisted with the pod so DEL works after the config changes.</summary>
    public string ToJson()
    {
        var plugins = new JsonArray();
        foreach (var p in Plugins) plugins.Add(p.DeepClone());
        return new JsonObject { ["cniVersion"] = CniVersion, ["name"] = Name, ["plugins"] = plugins }.ToJsonString();
    }

    /// <summary>
    /// The stdin of one plugin call: the plugin's own config plus name, cniVersion, the runtimeConfig for the
    /// capabilities it declares, and prevResult (spec 1.0 section "Network configuration list runtime semantics").
    /// </summary>
    public static string PluginInput(JsonObject plugin, string name, string cniVersion, IReadOnlyDictionary<string, JsonNode> capabilityArgs, JsonNode? prevResult)
    {
        var config = (JsonObject)plugin.DeepClone();
        config["name"] = name;
        config["cniVersion"] = cniVersion;
        var runtimeConfig = new JsonObject();
        if (plugin["capabilities"] is JsonObject capabilities)
        {
            foreach (var (capability, enabled) in capabilities)
            {
                if (enabled?.GetValueKind() == JsonValueKind.True && capabilityArgs.TryGetValue(capability, out var value))
                {
                    runtimeConfig[capability] = value.DeepClone();
                }
            }
        }
        config.Remove("runtimeConfig");
        if (runtimeConfig.Count > 0) config["runtimeConfig"] = runtimeConfig;
        config.Remove("prevResult");
        if (prevResult is not null) config["prevResult"] = prevResult.DeepClone();
        return config.ToJsonString();
    }
}
