using System.Text.Json.Serialization;

namespace CriRuntime.Oci;

/// <summary>Source-generated (Native AOT) JSON for the OCI runtime spec.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(RuntimeSpec))]
[JsonSerializable(typeof(SpecResources))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
