using System.Text.Json;
using System.Text.Json.Nodes;
using CriRuntime.Errors;
using CriRuntime.Linux;

namespace CriRuntime.Network;

// CHECK (spec 0.4.0+) of one pod's attachment, and garbage collection of attachments no pod owns: GC through the
// plugins where they speak spec 1.1.0, our own sweep of host-local allocations where they do not.
internal sealed partial class CniNetwork
{
    /// <summary>CHECK exists from spec 0.4.0 on; older lists must not get it.</summary>
    public static bool SupportsCheck(CniNetworkList list) => VersionAtLeast(list.CniVersion, new Version(0, 4, 0));

    /// <summary>Runs CHECK through the chain with the result ADD returned; throws when a plugin finds the attachment broken.</summary>
    public async Task CheckAsync(CniNetworkList list, CniPodInfo pod, string resultJson, CancellationToken cancellationToken)
    {
        var capabilityArgs = CapabilityArgs(pod, podCidr.IpRanges());
        var prevResult = JsonNode.Parse(resultJson);
        foreach (var plugin in list.Plugins)
        {
            var input = CniNetworkList.PluginInput(plugin, list.Name, list.CniVersion, capabilityArgs, prevResult);
            if (IsIdleBandwidth(plugin, input)) continue;
            await InvokeAsync("CHECK", plugin, input, pod, pod.NetnsPath, cancellationToken);
        }
    }

    /// <summary>
    /// bandwidth without any rate did nothing on ADD, so there is nothing to check; and its CHECK crashes on a nil
    /// config up to plugins v1.9.0 (containernetworking/plugins#1221), Debian's v1.1.1 included.
    /// </summary>
    private static bool IsIdleBandwidth(JsonObject plugin, string input)
    {
        if (TypeOf(plugin) != "bandwidth") return false;
        var config = JsonNode.Parse(input) as JsonObject;
        string[] rates = ["ingressRate", "ingressBurst", "egressRate", "egressBurst"];
        return config?["runtimeConfig"]?["bandwidth"] is null && !rates.Any(r => config?[r] is not null);
    }

    /// <summary>
    /// At daemon start: releases what CNI still holds for sandboxes that no longer exist. Lists whose cniVersion is
    /// 1.1.0 or later, and whose plugins all support it, get CNI GC with the live pods as valid attachments;
    /// the others get our sweep of host-local allocation files that name one of our ids without a live pod.
    /// </summary>
    /// <param name="liveIds">Every sandbox id that has a record (in any state), asked again for each file: a pod
    /// created while this runs saved its record before its ADD.</param>
    public async Task CollectGarbageAsync(Func<IReadOnlySet<string>> liveIds, CancellationToken cancellationToken)
    {
        foreach (var list in AllConfigs())
        {
            try
            {
                if (VersionAtLeast(list.CniVersion, GcVersion) && await PluginsSupportGcAsync(list, cancellationToken))
                {
                    await GcAsync(list, liveIds(), cancellationToken);
                    LogGc(logger, list.Name);
                    continue;
                }
                foreach (var dir in HostLocalAllocations.Directories(list))
                {
                    foreach (var removed in HostLocalAllocations.Sweep(dir, id => !liveIds().Contains(id)))
                    {
                        LogSwept(logger, removed, list.Name);
                    }
                }
            }
            catch (Exception e) when (e is OperationFailedException or IOException or UnauthorizedAccessException or JsonException)
            {
                LogGcFailed(logger, e, list.Name);
            }
        }
    }

    private static readonly Version GcVersion = new(1, 1, 0);

    private IEnumerable<CniNetworkList> AllConfigs()
    {
        var dir = options.Network.CniConfDir;
        if (!Directory.Exists(dir)) yield break;
        foreach (var file in Directory.EnumerateFiles(dir).Where(f => f.EndsWith(".conf", StringComparison.Ordinal) ||
            f.EndsWith(".conflist", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            CniNetworkList? list = null;
            try
            {
                list = CniNetworkList.Load(file);
            }
            catch (Exception e) when (e is JsonException or InvalidDataException or IOException or InvalidOperationException)
            {
                // Not a usable network: nothing of ours can be allocated in it.
            }
            if (list is not null) yield return list;
        }
    }

    private async Task<bool> PluginsSupportGcAsync(CniNetworkList list, CancellationToken cancellationToken)
    {
        foreach (var plugin in list.Plugins)
        {
            var stdout = await RunPluginAsync("VERSION", plugin, new JsonObject { ["cniVersion"] = list.CniVersion }.ToJsonString(), cancellationToken);
            var supported = JsonNode.Parse(stdout)?["supportedVersions"] as JsonArray;
            if (supported is null || !supported.Any(v => v?.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == GcVersion.ToString(3)))
            {
                return false;
            }
        }
        return true;
    }

    private async Task GcAsync(CniNetworkList list, IReadOnlySet<string> liveIds, CancellationToken cancellationToken)
    {
        var attachments = new JsonArray([.. liveIds.Order(StringComparer.Ordinal)
            .Select(id => (JsonNode)new JsonObject { ["containerID"] = id, ["ifname"] = IfName })]);
        foreach (var plugin in list.Plugins)
        {
            var input = (JsonObject)JsonNode.Parse(CniNetworkList.PluginInput(plugin, list.Name, list.CniVersion, new Dictionary<string, JsonNode>(), null))!;
            input["cni.dev/valid-attachments"] = attachments.DeepClone();
            await RunPluginAsync("GC", plugin, input.ToJsonString(), cancellationToken);
        }
    }

    // VERSION and GC concern no container: only CNI_COMMAND and CNI_PATH (spec 1.1 "GC").
    private async Task<string> RunPluginAsync(string command, JsonObject plugin, string input, CancellationToken cancellationToken)
    {
        var type = TypeOf(plugin);
        var environment = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_PATH"] = string.Join(':', options.Network.CniPluginDirs),
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        };
        ChildProcessResult result;
        try
        {
            result = await ChildProcess.RunAsync(FindPlugin(type), [], environment, input, options.Network.CniPluginTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or IOException)
        {
            throw new OperationFailedException($"CNI plugin {type} {command}: {e.Message}", e);
        }
        return result.ExitCode == 0 ? result.Stdout
            : throw new OperationFailedException($"CNI plugin {type} {command} failed (exit {result.ExitCode}): {DescribeError(result)}");
    }

    private static bool VersionAtLeast(string version, Version minimum) =>
        Version.TryParse(version, out var v) && v >= minimum;

    [LoggerMessage(EventId = 5211, Level = LogLevel.Information, Message = "CNI GC of network {Network} done")]
    private static partial void LogGc(ILogger logger, string network);

    [LoggerMessage(EventId = 5212, Level = LogLevel.Information, Message = "released leaked host-local allocation {Path} of network {Network}: its pod no longer exists")]
    private static partial void LogSwept(ILogger logger, string path, string network);

    [LoggerMessage(EventId = 5213, Level = LogLevel.Warning, Message = "garbage collection of CNI network {Network} failed")]
    private static partial void LogGcFailed(ILogger logger, Exception e, string network);
}
