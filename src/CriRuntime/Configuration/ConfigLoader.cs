using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace CriRuntime.Configuration;

/// <summary>
/// Builds <see cref="DaemonOptions"/> from, in rising precedence: built-in defaults, the TOML file,
/// CRIRUNTIME_* environment variables (CRIRUNTIME_API__LISTEN sets api.listen) and command-line flags.
/// </summary>
internal static class ConfigLoader
{
    public const string EnvironmentPrefix = "CRIRUNTIME_";

    private static readonly Dictionary<string, LogLevel> LogLevels = new()
    {
        ["trace"] = LogLevel.Trace,
        ["debug"] = LogLevel.Debug,
        ["info"] = LogLevel.Information,
        ["warn"] = LogLevel.Warning,
        ["error"] = LogLevel.Error,
        ["fatal"] = LogLevel.Critical,
    };

    private static readonly Dictionary<string, string> OtlpProtocols = new() { ["grpc"] = "grpc", ["http/protobuf"] = "http/protobuf" };

    private static readonly Dictionary<string, string> LogFormats = new() { ["text"] = "text", ["json"] = "json" };

    /// <param name="configPath">An explicit --config path (must exist), or null for the default path (may be absent).</param>
    /// <param name="flags">Keys set on the command line, in configuration form ("api:listen").</param>
    /// <param name="environment">Keys from the environment; null reads CRIRUNTIME_* variables.</param>
    public static DaemonOptions Load(string? configPath, IReadOnlyDictionary<string, string?> flags,
        IReadOnlyDictionary<string, string?>? environment = null, string defaultConfigPath = DaemonOptions.DefaultConfigPath)
    {
        var path = configPath ?? Environment.GetEnvironmentVariable(EnvironmentPrefix + "CONFIG");
        var explicitPath = path is not null;
        path ??= defaultConfigPath;

        var fileKeys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (File.Exists(path))
        {
            fileKeys = TomlFlattener.Flatten(File.ReadAllText(path), path);
        }
        else if (explicitPath)
        {
            throw new ConfigException($"config file {path} does not exist");
        }

        var merged = new Dictionary<string, string?>(fileKeys, StringComparer.OrdinalIgnoreCase);
        Overlay(merged, environment ?? EnvironmentKeys());
        Overlay(merged, flags);
        var reader = new ConfigReader(new ConfigurationBuilder().AddInMemoryCollection(merged).Build());
        var options = Read(reader);
        reader.RejectUnknown(fileKeys.Keys, path);
        reader.RejectUnknown(flags.Keys, "command line");
        return options;
    }

    /// <summary>
    /// Lays a higher-precedence layer over the merged keys. A layer that sets a list (as "key" = "a,b" or as
    /// "key:0", "key:1") replaces the whole list below it rather than merging element by element.
    /// </summary>
    private static void Overlay(Dictionary<string, string?> merged, IReadOnlyDictionary<string, string?> layer)
    {
        foreach (var key in layer.Keys)
        {
            var colon = key.LastIndexOf(':');
            var root = colon > 0 && int.TryParse(key.AsSpan(colon + 1), out _) ? key[..colon] : key;
            foreach (var stale in merged.Keys.Where(k => k.Equals(root, StringComparison.OrdinalIgnoreCase) ||
                         k.StartsWith(root + ":", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                merged.Remove(stale);
            }
        }
        foreach (var (key, value) in layer)
        {
            merged[key] = value;
        }
    }

    /// <summary>CRIRUNTIME_API__LISTEN → api:listen.</summary>
    private static Dictionary<string, string?> EnvironmentKeys()
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var name = (string)e.Key;
            if (name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) && name != EnvironmentPrefix + "CONFIG")
            {
                keys[name[EnvironmentPrefix.Length..].Replace("__", ":").ToLowerInvariant()] = (string?)e.Value;
            }
        }
        return keys;
    }

    private static DaemonOptions Read(ConfigReader r)
    {
        var defaults = new DaemonOptions();
        return new DaemonOptions
        {
            Root = r.AbsolutePath("root", defaults.Root),
            RunRoot = r.AbsolutePath("run_root", defaults.RunRoot),
            LogLevel = r.Choice("log_level", defaults.LogLevel, LogLevels),
            LogFormat = r.Choice("log_format", defaults.LogFormat, LogFormats),
            Api = ReadApi(r, defaults.Api),
            Runtime = ReadRuntime(r, defaults.Runtime),
            Network = new NetworkOptions
            {
                CniConfDir = r.AbsolutePath("network:cni_conf_dir", defaults.Network.CniConfDir),
                CniPluginDirs = r.List("network:cni_plugin_dirs", defaults.Network.CniPluginDirs),
                CniPluginTimeout = r.Duration("network:cni_plugin_timeout", defaults.Network.CniPluginTimeout),
            },
            Image = ReadImage(r, defaults.Image),
            Telemetry = new TelemetryOptions
            {
                OtlpEndpoint = ReadUri(r, "telemetry:otlp_endpoint", defaults.Telemetry.OtlpEndpoint),
                OtlpProtocol = r.Choice("telemetry:otlp_protocol", defaults.Telemetry.OtlpProtocol, OtlpProtocols),
                PrometheusListen = ReadHostPort(r, "telemetry:prometheus_listen", defaults.Telemetry.PrometheusListen),
                ServiceName = r.NonEmpty("telemetry:service_name", defaults.Telemetry.ServiceName),
            },
        };
    }

    private static ApiOptions ReadApi(ConfigReader r, ApiOptions d) => new()
    {
        Listen = r.AbsolutePath("api:listen", d.Listen),
        StreamAddress = r.NonEmpty("api:stream_address", d.StreamAddress),
        StreamPort = r.Int("api:stream_port", d.StreamPort, 0, 65535),
        StreamIdleTimeout = r.Duration("api:stream_idle_timeout", d.StreamIdleTimeout),
    };

    private static RuntimeOptions ReadRuntime(ConfigReader r, RuntimeOptions d)
    {
        var handlers = new SortedDictionary<string, RuntimeHandlerOptions>(StringComparer.Ordinal);
        foreach (var (name, handler) in d.Handlers)
        {
            handlers[name] = handler;
        }
        foreach (var name in r.TableNames("runtime:handlers"))
        {
            handlers.TryGetValue(name, out var existing);
            handlers[name] = new RuntimeHandlerOptions(
                r.AbsolutePath($"runtime:handlers:{name}:path", existing?.Path ?? ""),
                r.AbsolutePath($"runtime:handlers:{name}:root", existing?.Root ?? $"/run/criruntime/runtimes/{name}"));
        }

        var defaultHandler = r.NonEmpty("runtime:default_handler", d.DefaultHandler);
        if (!handlers.ContainsKey(defaultHandler))
        {
            throw ConfigReader.Invalid("runtime:default_handler", defaultHandler,
                "names no handler in runtime.handlers (" + string.Join(", ", handlers.Keys) + ")");
        }
        return new RuntimeOptions
        {
            DefaultHandler = defaultHandler,
            ConmonPath = r.AbsolutePath("runtime:conmon_path", d.ConmonPath),
            PauseBinary = r.AbsolutePath("runtime:pause_binary", d.PauseBinary),
            PauseImage = r.String("runtime:pause_image", d.PauseImage).Trim(),
            Handlers = handlers,
        };
    }

    private static ImageOptions ReadImage(ConfigReader r, ImageOptions d)
    {
        var registries = new List<RegistryOptions>();
        foreach (var index in r.TableNames("image:registries").OrderBy(n => int.TryParse(n, out var i) ? i : int.MaxValue))
        {
            var key = $"image:registries:{index}";
            var prefix = r.NonEmpty(key + ":prefix", "");
            var caFile = r.String(key + ":ca_file", "");
            if (caFile.Length > 0 && !Path.IsPathRooted(caFile)) throw ConfigReader.Invalid(key + ":ca_file", caFile, "must be an absolute path");
            var mirrors = r.List(key + ":mirrors", []);
            foreach (var mirror in mirrors)
            {
                if (!Uri.TryCreate(mirror, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    throw ConfigReader.Invalid(key + ":mirrors", mirror, "must be an http:// or https:// URL such as http://127.0.0.1:5000");
                }
            }
            registries.Add(new RegistryOptions(prefix, r.String(key + ":location", ""), r.Bool(key + ":insecure", false), caFile, mirrors));
        }
        return new ImageOptions
        {
            DefaultRegistry = r.NonEmpty("image:default_registry", d.DefaultRegistry),
            MaxConcurrentDownloads = r.Int("image:max_concurrent_downloads", d.MaxConcurrentDownloads, 1, 64),
            Registries = registries,
        };
    }

    private static string ReadUri(ConfigReader r, string key, string fallback)
    {
        var value = r.String(key, fallback);
        return value.Length == 0 || Uri.TryCreate(value, UriKind.Absolute, out _)
            ? value
            : throw ConfigReader.Invalid(key, value, "must be an absolute URI such as http://127.0.0.1:4317");
    }

    private static string ReadHostPort(ConfigReader r, string key, string fallback)
    {
        var value = r.String(key, fallback);
        if (value.Length == 0)
        {
            return value;
        }
        var colon = value.LastIndexOf(':');
        return colon > 0 && int.TryParse(value.AsSpan(colon + 1), out var port) && port is > 0 and < 65536
            ? value
            : throw ConfigReader.Invalid(key, value, "must be host:port, such as 127.0.0.1:9090");
    }
}
