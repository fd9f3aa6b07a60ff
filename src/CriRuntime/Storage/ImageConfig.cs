using System.Text.Json;
using System.Text.Json.Serialization;

namespace CriRuntime.Storage;

/// <summary>The parts of an OCI image config (image-spec config.md) a runtime needs.</summary>
internal sealed record OciImageConfig
{
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "";
    [JsonPropertyName("os")] public string Os { get; init; } = "";
    [JsonPropertyName("config")] public ImageConfig? Config { get; init; }
    [JsonPropertyName("rootfs")] public RootFs? RootFs { get; init; }
}

/// <summary>How a container of this image runs unless the container config overrides it.</summary>
internal sealed record ImageConfig
{
    public string? User { get; init; }
    public IReadOnlyList<string>? Env { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public string? WorkingDir { get; init; }
    public string? StopSignal { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? Volumes { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? ExposedPorts { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

internal sealed record RootFs
{
    [JsonPropertyName("type")] public string Type { get; init; } = "";
    [JsonPropertyName("diff_ids")] public IReadOnlyList<string> DiffIds { get; init; } = [];
}

/// <summary>What the image store persists per image: <c>storage/images/&lt;id hex&gt;.json</c>.</summary>
internal sealed record ImageRecord
{
    /// <summary>The config digest, as containerd and CRI-O report image ids.</summary>
    public required string Id { get; init; }
    public IReadOnlyList<string> RepoTags { get; init; } = [];
    public IReadOnlyList<string> RepoDigests { get; init; } = [];
    public required string ManifestDigest { get; init; }

    /// <summary>The index (manifest list) the manifest was chosen from, if the pull went through one.</summary>
    public string? IndexDigest { get; init; }

    /// <summary>Compressed layer sizes plus config, manifest and index, as crictl shows for containerd.</summary>
    public required long Size { get; init; }
    public required IReadOnlyList<LayerDescriptor> Layers { get; init; }
    public bool Pinned { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OciImageConfig))]
[JsonSerializable(typeof(ImageRecord))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
