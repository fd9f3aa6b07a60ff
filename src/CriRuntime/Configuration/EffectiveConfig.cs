using System.Text.Json;
using Tomlyn;
using Tomlyn.Model;

namespace CriRuntime.Configuration;

/// <summary>Renders the effective configuration, as `criruntime config` (TOML) and Status verbose (JSON) show it.</summary>
internal static class EffectiveConfig
{
    public static string ToToml(DaemonOptions o) => TomlSerializer.Serialize(ToTable(o), ConfigTomlContext.Default.TomlTable);

    public static string ToJson(DaemonOptions o)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            WriteJson(writer, ToTable(o));
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static TomlTable ToTable(DaemonOptions o)
    {
        var handlers = new TomlTable();
        foreach (var (name, h) in o.Runtime.Handlers)
        {
            handlers[name] = new TomlTable { ["path"] = h.Path, ["root"] = h.Root };
        }
        var pluginDirs = new TomlArray();
        foreach (var dir in o.Network.CniPluginDirs)
        {
            pluginDirs.Add(dir);
        }
        return new TomlTable
        {
            ["root"] = o.Root,
            ["run_root"] = o.RunRoot,
            ["log_level"] = o.LogLevel switch
            {
                Microsoft.Extensions.Logging.LogLevel.Trace => "trace",
                Microsoft.Extensions.Logging.LogLevel.Debug => "debug",
                Microsoft.Extensions.Logging.LogLevel.Warning => "warn",
                Microsoft.Extensions.Logging.LogLevel.Error => "error",
                Microsoft.Extensions.Logging.LogLevel.Critical => "fatal",
                _ => "info",
            },
            ["log_format"] = o.LogFormat,
            ["api"] = new TomlTable
            {
                ["listen"] = o.Api.Listen,
                ["stream_address"] = o.Api.StreamAddress,
                ["stream_port"] = (long)o.Api.StreamPort,
                ["stream_idle_timeout"] = DurationParser.Format(o.Api.StreamIdleTimeout),
            },
            ["runtime"] = new TomlTable
            {
                ["default_handler"] = o.Runtime.DefaultHandler,
                ["conmon_path"] = o.Runtime.ConmonPath,
                ["pause_binary"] = o.Runtime.PauseBinary,
                ["pause_image"] = o.Runtime.PauseImage,
                ["handlers"] = handlers,
            },
            ["network"] = new TomlTable
            {
                ["cni_conf_dir"] = o.Network.CniConfDir,
                ["cni_plugin_dirs"] = pluginDirs,
                ["cni_plugin_timeout"] = DurationParser.Format(o.Network.CniPluginTimeout),
            },
            ["image"] = ImageTable(o.Image),
            ["telemetry"] = new TomlTable
            {
                ["otlp_endpoint"] = o.Telemetry.OtlpEndpoint,
                ["otlp_protocol"] = o.Telemetry.OtlpProtocol,
                ["prometheus_listen"] = o.Telemetry.PrometheusListen,
                ["service_name"] = o.Telemetry.ServiceName,
            },
        };
    }

    private static TomlTable ImageTable(ImageOptions image)
    {
        var registries = new TomlTableArray();
        foreach (var reg in image.Registries)
        {
            var mirrors = new TomlArray();
            foreach (var m in reg.Mirrors) mirrors.Add(m);
            registries.Add(new TomlTable
            {
                ["prefix"] = reg.Prefix,
                ["location"] = reg.Location,
                ["insecure"] = reg.Insecure,
                ["ca_file"] = reg.CaFile,
                ["mirrors"] = mirrors,
            });
        }
        return new TomlTable
        {
            ["default_registry"] = image.DefaultRegistry,
            ["max_concurrent_downloads"] = (long)image.MaxConcurrentDownloads,
            ["registries"] = registries,
        };
    }

    private static void WriteJson(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case TomlTable table:
                w.WriteStartObject();
                foreach (var (k, v) in table)
                {
                    w.WritePropertyName(k);
                    WriteJson(w, v);
                }
                w.WriteEndObject();
                break;
            case TomlTableArray tables:
                w.WriteStartArray();
                foreach (var t in tables)
                {
                    WriteJson(w, t);
                }
                w.WriteEndArray();
                break;
            case TomlArray array:
                w.WriteStartArray();
                foreach (var v in array)
                {
                    WriteJson(w, v);
                }
                w.WriteEndArray();
                break;
            case long n:
                w.WriteNumberValue(n);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            default:
                w.WriteStringValue(value?.ToString());
                break;
        }
    }
}
