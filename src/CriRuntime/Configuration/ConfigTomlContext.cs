using Tomlyn.Model;
using Tomlyn.Serialization;

namespace CriRuntime.Configuration;

/// <summary>Source-generated TOML metadata, so reading the config needs no reflection (Native AOT).</summary>
[TomlSerializable(typeof(TomlTable))]
internal sealed partial class ConfigTomlContext : TomlSerializerContext
{
}
