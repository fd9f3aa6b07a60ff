using System.Text;
using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Network;

namespace CriRuntime.Sandboxes;

// PodSandboxStatus and ListPodSandbox: served from memory, no host work.
internal sealed partial class SandboxService
{
    /// <exception cref="NotFoundException">No pod has that id.</exception>
    public Sandbox Get(string id) =>
        index.Get(id) ?? throw new NotFoundException($"pod sandbox \"{id}\" not found");

    /// <summary>Pods matching the CRI filter: id (exact, or a unique prefix as crictl sends), state, labels.</summary>
    public IReadOnlyList<Sandbox> List(PodSandboxFilter? filter)
    {
        IEnumerable<Sandbox> pods = index.All.Where(s => s.Record.State != SandboxStates.Creating);
        if (filter is null) return pods.ToList();
        if (filter.Id.Length > 0)
        {
            var exact = index.Get(filter.Id);
            if (exact is not null)
            {
                pods = pods.Where(s => s.Id == filter.Id);
            }
            else
            {
                var matches = pods.Where(s => s.Id.StartsWith(filter.Id, StringComparison.Ordinal)).Take(2).ToList();
                pods = matches.Count == 1 ? matches : [];
            }
        }
        if (filter.State is { } state) pods = pods.Where(s => StateOf(s) == state.State);
        foreach (var (key, value) in filter.LabelSelector)
        {
            pods = pods.Where(s => s.Config.Labels.TryGetValue(key, out var v) && v == value);
        }
        return pods.ToList();
    }

    /// <summary>The CRI status of a pod, as PodSandboxStatus returns it and as its lifecycle events carry it.</summary>
    public static PodSandboxStatus StatusOf(Sandbox sandbox)
    {
        var config = sandbox.Config;
        var ips = sandbox.Record.Ips;
        var status = new PodSandboxStatus
        {
            Id = sandbox.Id,
            Metadata = config.Metadata,
            State = StateOf(sandbox),
            CreatedAt = sandbox.Record.CreatedAt,
            Network = new PodSandboxNetworkStatus { Ip = ips.Count > 0 ? ips[0] : "" },
            Linux = new LinuxPodSandboxStatus
            {
                Namespaces = new Namespace { Options = config.Linux?.SecurityContext?.NamespaceOptions ?? new NamespaceOption() },
            },
            Labels = { config.Labels },
            Annotations = { config.Annotations },
            RuntimeHandler = sandbox.Record.Handler,
        };
        status.Network.AdditionalIps.AddRange(ips.Skip(1).Select(ip => new PodIP { Ip = ip }));
        return status;
    }

    private void Publish(Sandbox sandbox, ContainerEventType type) => Publish(StatusOf(sandbox), type);

    // As containerd 1.7: a pod's own events name the sandbox id as the container id and carry the statuses of all
    // its containers (kubelet's evented PLEG rebuilds the pod from them). Those are read without container locks:
    // the caller holds the pod's lock, and container code never takes a pod's lock, so no lock-order cycle.
    private void Publish(PodSandboxStatus status, ContainerEventType type) => events.Publish(new ContainerEventResponse
    {
        ContainerId = status.Id,
        ContainerEventType = type,
        CreatedAt = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100,
        PodSandboxStatus = status,
        ContainersStatuses = { containers.StatusesOfPod(status.Id) },
    });

    public static PodSandboxState StateOf(Sandbox sandbox) =>
        sandbox.Record.State == SandboxStates.Ready ? PodSandboxState.SandboxReady : PodSandboxState.SandboxNotready;

    /// <summary>
    /// Status verbose info["info"]: what an operator debugging a pod wants, like CRI-O and containerd, and the outcome
    /// of a CNI CHECK of its attachment.
    /// </summary>
    public async Task<string> VerboseInfoAsync(Sandbox sandbox, CancellationToken cancellationToken)
    {
        var (checkResult, checkDetail) = await CheckNetworkAsync(sandbox.Id, cancellationToken);
        var r = sandbox.Record;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("id", r.Id);
            w.WriteString("state", r.State);
            w.WriteString("runtimeHandler", r.Handler);
            w.WriteNumber("pid", r.PausePid);
            w.WriteNumber("monitorPid", r.MonitorPid);
            w.WriteString("netnsPath", r.NetnsPath);
            w.WriteString("cgroupsPath", r.CgroupsPath);
            w.WriteString("sandboxDir", r.Dir);
            w.WriteString("pauseImage", r.PauseImage);
            w.WritePropertyName("cniResult");
            WriteRawOrNull(w, r.CniResult);
            w.WritePropertyName("runtimeSpec");
            var specPath = Path.Combine(r.Dir, "config.json");
            WriteRawOrNull(w, File.Exists(specPath) ? File.ReadAllText(specPath) : null);
            w.WriteStartObject("cniCheck");
            w.WriteString("result", checkResult);
            if (checkDetail is not null) w.WriteString("detail", checkDetail);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// CNI CHECK of a ready pod's attachment: "ok", "failed" (with the plugin's error) or "skipped" (with why: host
    /// network, torn down, or a cniVersion before 0.4.0). Under the pod's lock, so never during a Stop's DEL.
    /// </summary>
    private async Task<(string Result, string? Detail)> CheckNetworkAsync(string id, CancellationToken cancellationToken)
    {
        using var held = await index.Locks.AcquireAsync(id, cancellationToken);
        if (index.Get(id) is not { } sandbox) return ("skipped", "the pod is gone");
        var r = sandbox.Record;
        if (r.NetnsPath is null || r.CniConfig is null) return ("skipped", "host network");
        if (r.State != SandboxStates.Ready || r.NetworkTornDown || r.CniResult is null) return ("skipped", "the pod's network is torn down");
        var list = CniNetworkList.Parse(r.CniConfig, "the pod's record");
        if (!CniNetwork.SupportsCheck(list)) return ("skipped", $"cniVersion {list.CniVersion} has no CHECK (0.4.0 and later)");
        try
        {
            await network.CheckAsync(list, FullPodInfo(sandbox), r.CniResult, cancellationToken);
            LogCheck(logger, id, list.Name, "ok");
            return ("ok", null);
        }
        catch (OperationFailedException e)
        {
            LogCheck(logger, id, list.Name, e.Message);
            return ("failed", e.Message);
        }
    }

    /// <summary>What CHECK and DEL need of a pod: the same runtimeConfig as ADD (portmap checks and removes exactly its rules).</summary>
    private static CniPodInfo FullPodInfo(Sandbox sandbox) => PodInfo(sandbox.Record, sandbox.Config, null) with
    {
        PortMappings = SandboxRequest.PortMappingsOf(sandbox.Config),
        Bandwidth = BandwidthQuantity.FromAnnotations(sandbox.Config.Annotations),
        StaticIps = StaticIpAnnotation.FromAnnotationsOrEmpty(sandbox.Config.Annotations),
    };

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "CNI CHECK of pod {Id} on network {Network}: {Outcome}")]
    private static partial void LogCheck(ILogger logger, string id, string network, string outcome);

    private static void WriteRawOrNull(Utf8JsonWriter w, string? json)
    {
        if (string.IsNullOrEmpty(json)) w.WriteNullValue();
        else w.WriteRawValue(json);
    }
}
