using System.Text.Json.Serialization;

namespace CriRuntime.Sandboxes;

/// <summary>Pod lifecycle states as persisted (docs/STATE.md: two-phase creation).</summary>
internal static class SandboxStates
{
    public const string Creating = "creating";
    public const string Ready = "ready";
    public const string NotReady = "notready";
}

/// <summary>
/// A Stop or Remove under way, persisted before its first teardown step so that a daemon dying mid-way finishes it
/// at its next start (docs/STATE.md: interrupted Stop and Remove). Null when no such call is in flight.
/// </summary>
internal static class SandboxIntents
{
    public const string Stop = "stop";
    public const string Remove = "remove";
}

/// <summary>
/// A pod as persisted in root/sandboxes/&lt;id&gt;.json: the CRI request that created it and everything needed to
/// undo what was done on the host, also after a daemon restart.
/// </summary>
internal sealed record SandboxRecord
{
    public const string RootfsDir = "rootfs";

    public required string Id { get; init; }
    public required string State { get; init; }

    /// <summary>A <see cref="SandboxIntents"/> value while a Stop or Remove is under way; null otherwise.</summary>
    public string? Intent { get; init; }

    /// <summary>The PodSandboxConfig as its protobuf encoding (base64 in JSON), so it round-trips exactly.</summary>
    public required byte[] Config { get; init; }
    public required string Handler { get; init; }

    /// <summary>Unix time in nanoseconds.</summary>
    public long CreatedAt { get; init; }

    /// <summary>run_root/sandboxes/&lt;id&gt;: hostname, hosts, resolv.conf, shm, the pause bundle.</summary>
    public required string Dir { get; init; }

    /// <summary>The pinned netns, or null for a host-network pod.</summary>
    public string? NetnsPath { get; init; }

    /// <summary>The pod's /dev/shm tmpfs, or null for host IPC.</summary>
    public string? ShmPath { get; init; }
    public required string CgroupsPath { get; init; }

    /// <summary>The network list ADD ran with (DEL must use the same, even if the config dir changed).</summary>
    public string? CniConfig { get; init; }

    /// <summary>The final CNI result (DEL gets it as prevResult).</summary>
    public string? CniResult { get; init; }

    /// <summary>Set once CNI DEL succeeded, so a repeated Stop does not run it again.</summary>
    public bool NetworkTornDown { get; init; }
    public List<string> Ips { get; init; } = [];
    /// <summary>The id of the pause image the pod runs from (runtime.pause_image), mounted at Dir/rootfs; null for the built-in rootfs.</summary>
    public string? PauseImage { get; init; }
    public int PausePid { get; init; }

    /// <summary>/proc/&lt;pid&gt;/stat start time, to tell our pause from a process that reused its pid.</summary>
    public ulong PauseStartTime { get; init; }
    public int MonitorPid { get; init; }
    public ulong MonitorStartTime { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(SandboxRecord))]
internal sealed partial class SandboxJsonContext : JsonSerializerContext;
