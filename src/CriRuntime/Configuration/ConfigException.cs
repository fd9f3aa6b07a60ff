namespace CriRuntime.Configuration;

/// <summary>A configuration problem; the message names the offending key. The daemon exits with code 2.</summary>
internal sealed class ConfigException(string message) : Exception(message);
