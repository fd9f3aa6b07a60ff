using CriRuntime.Configuration;

namespace CriRuntime.Hosting;

internal enum Verb { Serve, PrintConfig, Version, Help }

/// <summary>The parsed command line: a verb, an optional --config path and configuration keys set by flags.</summary>
internal sealed record CommandLine(Verb Verb, string? ConfigPath, IReadOnlyDictionary<string, string?> Flags)
{
    public const string Usage = """
        usage: criruntime [serve|config|version] [flags]

          serve     run the CRI runtime (the default)
          config    print the effective configuration as TOML and exit
          version   print the version and exit

        flags:
          --config PATH          TOML config file (default /etc/criruntime/criruntime.toml)
          --listen PATH          CRI socket (api.listen); --socket is an alias
          --root DIR             persistent state (root)
          --run-root DIR         volatile state (run_root)
          --log-level LEVEL      trace, debug, info, warn, error or fatal
          --log-format FORMAT    text or json
          --cni-conf-dir DIR     CNI network configs (network.cni_conf_dir)
          --cni-plugin-dir DIR   CNI plugin directory, repeatable (network.cni_plugin_dirs)
          --set KEY=VALUE        any config key in dotted form, e.g. --set api.stream_port=10010

        Environment: CRIRUNTIME_CONFIG, and CRIRUNTIME_<SECTION>__<KEY> for any key (CRIRUNTIME_API__LISTEN).
        """;

    private static readonly Dictionary<string, string> FlagKeys = new(StringComparer.Ordinal)
    {
        ["--listen"] = "api:listen",
        ["--socket"] = "api:listen",
        ["--root"] = "root",
        ["--run-root"] = "run_root",
        ["--log-level"] = "log_level",
        ["--log-format"] = "log_format",
        ["--cni-conf-dir"] = "network:cni_conf_dir",
    };

    /// <exception cref="ConfigException">An unknown flag or a flag without its value.</exception>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var verb = Verb.Serve;
        string? configPath = null;
        var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var pluginDirs = new List<string>();

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (i == 0 && !arg.StartsWith('-'))
            {
                verb = arg switch
                {
                    "serve" => Verb.Serve,
                    "config" => Verb.PrintConfig,
                    "version" => Verb.Version,
                    "help" => Verb.Help,
                    _ => throw new ConfigException($"unknown command '{arg}'\n{Usage}"),
                };
                continue;
            }
            if (arg is "--help" or "-h") { verb = Verb.Help; continue; }
            if (arg is "--version" or "-v") { verb = Verb.Version; continue; }

            var (name, value) = SplitFlag(arg, args, ref i);
            switch (name)
            {
                case "--config":
                    configPath = value;
                    break;
                case "--cni-plugin-dir":
                    pluginDirs.Add(value);
                    break;
                case "--set":
                    var eq = value.IndexOf('=');
                    if (eq <= 0) throw new ConfigException($"--set wants KEY=VALUE, got '{value}'");
                    flags[value[..eq].Replace('.', ':')] = value[(eq + 1)..];
                    break;
                default:
                    flags[FlagKeys.TryGetValue(name, out var key) ? key : throw new ConfigException($"unknown flag '{name}'\n{Usage}")] = value;
                    break;
            }
        }
        for (var i = 0; i < pluginDirs.Count; i++)
        {
            flags[$"network:cni_plugin_dirs:{i}"] = pluginDirs[i];
        }
        return new CommandLine(verb, configPath, flags);
    }

    private static (string Name, string Value) SplitFlag(string arg, IReadOnlyList<string> args, ref int i)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal))
        {
            throw new ConfigException($"unexpected argument '{arg}'\n{Usage}");
        }
        var eq = arg.IndexOf('=');
        if (eq > 0)
        {
            return (arg[..eq], arg[(eq + 1)..]);
        }
        if (i + 1 >= args.Count)
        {
            throw new ConfigException($"flag '{arg}' needs a value");
        }
        return (arg, args[++i]);
    }
}
