using System.Text.Json.Serialization;

namespace CriRuntime.Containers;

/// <summary>Container lifecycle states as persisted (docs/STATE.md: two-phase creation).</summary>
internal static class ContainerStates
{
    public const string Creating = "creating";
    public const string Created = "created";
    public const string Running = "running";
    public const string Exited = "exited";
}

/// <summary>
/// A Stop or Remove under way, persisted before its first teardown step so that a daemon dying mid-way finishes it
/// at its next start (docs/STATE.md: interrupted Stop and Remove). Null when no such call is in flight.
/// </summary>
internal static class ContainerIntents
{
    public const string Stop = "stop";
    public const string Remove = "remove";
}

/// <summary>
/// A container as persisted in root/containers/&lt;id&gt;.json: the CRI request that created it, what the image
/// resolved to, and everything needed to undo its host objects (bundle, overlay mount, writable layer, cgroup,
/// monitor), also after a daemon restart.
/// </summary>
internal sealed record ContainerRecord
{
    public required string Id { get; init; }
    public required string SandboxId { get; init; }
    public required string State { get; init; }

    /// <summary>A <see cref="ContainerIntents"/> value while a Stop or Remove is under way; null otherwise.</summary>
    public string? Intent { get; init; }

    /// <summary>The ContainerConfig as its protobuf encoding (base64 in JSON), so it round-trips exactly.</summary>
    public required byte[] Config { get; init; }
    public required string Handler { get; init; }

    /// <summary>The image as kubelet named it, its id ("sha256:…") and the digest reference it was pulled by.</summary>
    public required string ImageName { get; init; }
    public required string ImageId { get; init; }
    public string ImageRef { get; init; } = "";

    /// <summary>Unix times in nanoseconds (0 = not yet).</summary>
    public long CreatedAt { get; init; }
    public long StartedAt { get; init; }
    public long FinishedAt { get; init; }
    public int ExitCode { get; init; }

    /// <summary>CRI reason for an exited container: Completed, Error, OOMKilled (or a start failure).</summary>
    public string Reason { get; init; } = "";
    public string Message { get; init; } = "";

    /// <summary>run_root/containers/&lt;id&gt;: config.json, rootfs (the overlay mount), monitor files.</summary>
    public required string BundleDir { get; init; }

    /// <summary>root/storage/containers/&lt;id&gt;: the writable layer (upper, work) and image volumes.</summary>
    public required string LayerDir { get; init; }
    public required string LogPath { get; init; }
    public required string CgroupsPath { get; init; }

    /// <summary>Signal number StopContainer sends first (image StopSignal or the CRI's, else SIGTERM).</summary>
    public int StopSignal { get; init; } = 15;
    public int Pid { get; init; }

    /// <summary>/proc/&lt;pid&gt;/stat start time, to tell our process from one that reused its pid.</summary>
    public ulong PidStartTime { get; init; }
    public int MonitorPid { get; init; }
    public ulong MonitorStartTime { get; init; }

    /// <summary>The user the process runs as (ContainerStatus.user), from the generated spec.</summary>
    public long Uid { get; init; }
    public long Gid { get; init; }
    public List<long> AdditionalGids { get; init; } = [];

    /// <summary>Resources applied by UpdateContainerResources, as its protobuf encoding; null = as created.</summary>
    public byte[]? UpdatedResources { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(ContainerRecord))]
internal sealed partial class ContainerJsonContext : JsonSerializerContext;
