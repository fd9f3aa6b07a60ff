using System.Text;
using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.Errors;

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

    public static PodSandboxState StateOf(Sandbox sandbox) =>
        sandbox.Record.State == SandboxStates.Ready ? PodSandboxState.SandboxReady : PodSandboxState.SandboxNotready;

    /// <summary>Status verbose info["info"]: what an operator debugging a pod wants, like CRI-O and containerd.</summary>
    public string VerboseInfo(Sandbox sandbox)
    {
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
            w.WritePropertyName("cniResult");
            WriteRawOrNull(w, r.CniResult);
            w.WritePropertyName("runtimeSpec");
            var specPath = Path.Combine(r.Dir, "config.json");
            WriteRawOrNull(w, File.Exists(specPath) ? File.ReadAllText(specPath) : null);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteRawOrNull(Utf8JsonWriter w, string? json)
    {
        if (string.IsNullOrEmpty(json)) w.WriteNullValue();
        else w.WriteRawValue(json);
    }
}
