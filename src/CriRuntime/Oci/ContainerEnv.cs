using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// The process environment as containerd builds it: HOSTNAME first, then the image's Env, then the CRI envs; a
/// later entry replaces an earlier one of the same name in place; PATH gets the usual default when nobody set it.
/// </summary>
internal static class ContainerEnv
{
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <exception cref="InvalidArgumentException">A CRI env has an empty name or a name with '='.</exception>
    public static List<string> Build(string hostname, IReadOnlyList<string>? imageEnv, IEnumerable<KeyValue> criEnvs)
    {
        var order = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        void Set(string name, string entry)
        {
            if (!values.ContainsKey(name)) order.Add(name);
            values[name] = entry;
        }

        Set("HOSTNAME", "HOSTNAME=" + hostname);
        if (imageEnv?.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)) != true) Set("PATH", DefaultPath);
        foreach (var entry in imageEnv ?? [])
        {
            var eq = entry.IndexOf('=');
            // An image entry without '=' names a variable without a value (Docker keeps it as is).
            Set(eq < 0 ? entry : entry[..eq], entry);
        }
        foreach (var kv in criEnvs)
        {
            if (kv.Key.Length == 0 || kv.Key.Contains('=') || kv.Key.Contains('\0'))
            {
                throw new InvalidArgumentException($"environment variable name \"{kv.Key}\" is not valid");
            }
            Set(kv.Key, kv.Key + "=" + kv.Value.ToStringUtf8());
        }
        return [.. order.Select(n => values[n])];
    }
}
