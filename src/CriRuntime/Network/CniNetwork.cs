using System.Text.Json;
using System.Text.Json.Nodes;
using CriRuntime.Configuration;
using CriRuntime.Errors;
using CriRuntime.Linux;

namespace CriRuntime.Network;

/// <summary>
/// Runs a CNI network list for a pod (spec 1.0): ADD through the chain with prevResult, DEL in reverse with the
/// final result, each plugin a process with the standard CNI_* environment and a timeout.
/// </summary>
internal sealed partial class CniNetwork(DaemonOptions options, PodCidr podCidr, ILogger<CniNetwork> logger)
{
    private const string IfName = "eth0";
    private const int DelAttempts = 3;

    /// <summary>The network list pods get now (the first valid file in network.cni_conf_dir).</summary>
    /// <exception cref="FailedPreconditionException">No usable config: the network is not ready.</exception>
    public CniNetworkList LoadConfig()
    {
        var found = CniConfigDirectory.FindCached(options.Network.CniConfDir);
        if (found.Path is null) throw new FailedPreconditionException("network not ready: " + found.Problem);
        try
        {
            return CniNetworkList.Load(found.Path);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or IOException or InvalidOperationException)
        {
            throw new FailedPreconditionException($"network not ready: {found.Path}: {e.Message}");
        }
    }

    /// <summary>Runs ADD through the chain; returns the final result (JSON) to persist.</summary>
    public async Task<string> AddAsync(CniNetworkList list, CniPodInfo pod, CancellationToken cancellationToken)
    {
        var capabilityArgs = CapabilityArgs(pod, podCidr.IpRanges());
        JsonNode? prevResult = null;
        foreach (var plugin in list.Plugins)
        {
            var input = CniNetworkList.PluginInput(plugin, list.Name, list.CniVersion, capabilityArgs, prevResult);
            var stdout = await InvokeAsync("ADD", plugin, input, pod, pod.NetnsPath, cancellationToken);
            prevResult = JsonNode.Parse(stdout) ?? throw new OperationFailedException($"CNI plugin {TypeOf(plugin)} returned an empty result");
        }
        return prevResult!.ToJsonString();
    }

    /// <summary>
    /// Runs DEL through the chain in reverse; retried, and tolerant of a netns that is already gone (CNI DEL must
    /// release IPs and rules even then).
    /// </summary>
    public async Task DelAsync(CniNetworkList list, CniPodInfo pod, string? resultJson, CancellationToken cancellationToken)
    {
        var capabilityArgs = CapabilityArgs(pod, podCidr.IpRanges());
        var prevResult = string.IsNullOrEmpty(resultJson) ? null : JsonNode.Parse(resultJson);
        var netns = File.Exists(pod.NetnsPath) ? pod.NetnsPath : "";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var plugin in list.Plugins.Reverse())
                {
                    var input = CniNetworkList.PluginInput(plugin, list.Name, list.CniVersion, capabilityArgs, prevResult);
                    await InvokeAsync("DEL", plugin, input, pod, netns, cancellationToken);
                }
                return;
            }
            catch (OperationFailedException e) when (attempt < DelAttempts)
            {
                LogDelRetry(logger, pod.SandboxId, attempt, e.Message);
                await Task.Delay(100 * attempt, cancellationToken);
            }
        }
    }

    private async Task<string> InvokeAsync(string command, JsonObject plugin, string input, CniPodInfo pod, string netns, CancellationToken cancellationToken)
    {
        var type = TypeOf(plugin);
        var binary = FindPlugin(type);
        var environment = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = pod.SandboxId,
            ["CNI_NETNS"] = netns,
            ["CNI_IFNAME"] = IfName,
            ["CNI_ARGS"] = $"IgnoreUnknown=1;K8S_POD_NAMESPACE={pod.PodNamespace};K8S_POD_NAME={pod.PodName};" +
                $"K8S_POD_INFRA_CONTAINER_ID={pod.SandboxId};K8S_POD_UID={pod.PodUid}",
            ["CNI_PATH"] = string.Join(':', options.Network.CniPluginDirs),
            // Plugins run iptables, ip and friends.
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        };
        ChildProcessResult result;
        try
        {
            result = await ChildProcess.RunAsync(binary, [], environment, input, options.Network.CniPluginTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or IOException)
        {
            throw new OperationFailedException($"CNI plugin {type} {command}: {e.Message}", e);
        }
        if (result.ExitCode != 0)
        {
            throw new OperationFailedException($"CNI plugin {type} {command} failed (exit {result.ExitCode}): {DescribeError(result)}");
        }
        return result.Stdout;
    }

    private string FindPlugin(string type)
    {
        if (type.Contains('/') || type is "." or "..") throw new OperationFailedException($"invalid CNI plugin type \"{type}\"");
        foreach (var dir in options.Network.CniPluginDirs)
        {
            var path = Path.Combine(dir, type);
            if (File.Exists(path)) return path;
        }
        throw new OperationFailedException($"CNI plugin {type} not found in {string.Join(", ", options.Network.CniPluginDirs)}");
    }

    // Spec: on failure a plugin prints {"code": N, "msg": "...", "details": "..."} on stdout.
    private static string DescribeError(ChildProcessResult result)
    {
        var text = "";
        try
        {
            if (JsonNode.Parse(result.Stdout) is JsonObject error)
            {
                text = $"code {error["code"]}: {error["msg"]}";
                if (error["details"] is JsonNode details) text += $" ({details})";
            }
        }
        catch (JsonException)
        {
            text = result.Stdout.Trim();
        }
        var stderr = ChildProcess.Summarize(result.Stderr);
        return stderr.Length == 0 ? text : $"{text}; stderr: {stderr}";
    }

    private static string TypeOf(JsonObject plugin) => plugin["type"]!.GetValue<string>();

    /// <summary>
    /// What each capability a plugin may declare gets in its runtimeConfig (CNI conventions); <paramref name="ipRanges"/>
    /// is kubelet's pod CIDR (UpdateRuntimeConfig), for IPAM plugins that declare the ipRanges capability.
    /// </summary>
    internal static Dictionary<string, JsonNode> CapabilityArgs(CniPodInfo pod, JsonNode? ipRanges)
    {
        var args = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        if (ipRanges is not null) args["ipRanges"] = ipRanges;
        if (pod.StaticIps.Count > 0) args["ips"] = new JsonArray([.. pod.StaticIps.Select(ip => (JsonNode)ip)]);
        if (pod.PortMappings.Count > 0)
        {
            var mappings = new JsonArray();
            foreach (var m in pod.PortMappings)
            {
                var mapping = new JsonObject { ["hostPort"] = m.HostPort, ["containerPort"] = m.ContainerPort, ["protocol"] = m.Protocol };
                if (m.HostIp.Length > 0) mapping["hostIP"] = m.HostIp;
                mappings.Add((JsonNode)mapping);
            }
            args["portMappings"] = mappings;
        }
        if (pod.Bandwidth is { } bw && (bw.IngressRate is not null || bw.EgressRate is not null))
        {
            // As CRI-O: the burst is effectively unlimited; the rate is what kubelet's annotations set.
            var bandwidth = new JsonObject();
            if (bw.IngressRate is long ingress) { bandwidth["ingressRate"] = ingress; bandwidth["ingressBurst"] = int.MaxValue; }
            if (bw.EgressRate is long egress) { bandwidth["egressRate"] = egress; bandwidth["egressBurst"] = int.MaxValue; }
            args["bandwidth"] = bandwidth;
        }
        if (pod.Dns is { } dns)
        {
            args["dns"] = new JsonObject
            {
                ["servers"] = new JsonArray([.. dns.Servers.Select(s => (JsonNode)s)]),
                ["searches"] = new JsonArray([.. dns.Searches.Select(s => (JsonNode)s)]),
                ["options"] = new JsonArray([.. dns.Options.Select(s => (JsonNode)s)]),
            };
        }
        return args;
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "CNI DEL for {SandboxId} failed (attempt {Attempt}), retrying: {Error}")]
    private static partial void LogDelRetry(ILogger logger, string sandboxId, int attempt, string error);
}
