using System.Text.Json.Serialization;

namespace CriRuntime.Images;

/// <summary>An OCI or Docker schema 2 manifest or index (manifest list): both share this shape.</summary>
internal sealed record ManifestDocument
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; }
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("config")] public ContentDescriptor? Config { get; init; }
    [JsonPropertyName("layers")] public IReadOnlyList<ContentDescriptor>? Layers { get; init; }
    [JsonPropertyName("manifests")] public IReadOnlyList<ContentDescriptor>? Manifests { get; init; }
}

internal sealed record ContentDescriptor
{
    [JsonPropertyName("mediaType")] public string MediaType { get; init; } = "";
    [JsonPropertyName("digest")] public string Digest { get; init; } = "";
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("platform")] public Platform? Platform { get; init; }
}

internal sealed record Platform
{
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "";
    [JsonPropertyName("os")] public string Os { get; init; } = "";
    [JsonPropertyName("variant")] public string? Variant { get; init; }
}

internal sealed record TokenResponse
{
    [JsonPropertyName("token")] public string? Token { get; init; }
    [JsonPropertyName("access_token")] public string? AccessToken { get; init; }
}

[JsonSerializable(typeof(ManifestDocument))]
[JsonSerializable(typeof(TokenResponse))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;

/// <summary>Media types of the distribution spec and the OCI image spec that a pull accepts.</summary>
internal static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    public static readonly string[] Manifests = [OciIndex, DockerList, OciManifest, DockerManifest];

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerList;
}
