using System.Text;

namespace CriRuntime.IntegrationTests.Harness;

/// <summary>The config a test daemon runs with; every path lives under one temp directory.</summary>
public sealed class DaemonSettings
{
    private DaemonSettings(string dir)
    {
        Dir = dir;
        Socket = Path.Combine(dir, "cri.sock");
        Root = Path.Combine(dir, "root");
        RunRoot = Path.Combine(dir, "run");
        CniConfDir = Path.Combine(dir, "cni");
        Directory.CreateDirectory(CniConfDir);
    }

    public string Dir { get; }
    public string Socket { get; set; }
    public string Root { get; set; }
    public string RunRoot { get; set; }
    public string CniConfDir { get; set; }
    public string LogLevel { get; set; } = "debug";

    /// <summary>runtime.default_handler; null leaves the daemon's default. Pod tests use "runc" until our launcher lands.</summary>
    public string? DefaultHandler { get; set; }

    /// <summary>runtime.pause_binary; null leaves the daemon's default.</summary>
    public string? PauseBinary { get; set; }

    /// <summary>runtime.pause_image; null leaves the daemon's default (the built-in pause rootfs).</summary>
    public string? PauseImage { get; set; }

    /// <summary>
    /// The runc handler's state dir; set by pod tests so each daemon's containers are its own (leak checks count them).
    /// </summary>
    public string? RuncRoot { get; set; }

    /// <summary>The "criruntime" handler's binary and state dir (our launcher); null leaves the daemon's default.</summary>
    public (string Path, string Root)? Launcher { get; set; }

    /// <summary>network.cni_plugin_dirs; empty leaves the daemon's default.</summary>
    public List<string> CniPluginDirs { get; } = [];

    /// <summary>Extra environment for the daemon process (e.g. NOTIFY_SOCKET).</summary>
    public Dictionary<string, string> Environment { get; } = new();

    /// <summary>Extra TOML appended to the generated file, e.g. "[telemetry]\nprometheus_listen = ...".</summary>
    public StringBuilder ExtraToml { get; } = new();

    public static DaemonSettings InTempDir() =>
        new(Directory.CreateTempSubdirectory("criruntime-test-").FullName);

    public string WriteConfig()
    {
        var path = Path.Combine(Dir, "criruntime.toml");
        File.WriteAllText(path, $"""
            root = "{Root}"
            run_root = "{RunRoot}"
            log_level = "{LogLevel}"

            [api]
            listen = "{Socket}"

            [network]
            cni_conf_dir = "{CniConfDir}"
            {(CniPluginDirs.Count == 0 ? "" : "cni_plugin_dirs = [" + string.Join(", ", CniPluginDirs.Select(d => $"\"{d}\"")) + "]")}
            {RuntimeToml()}
            {ExtraToml}
            """);
        return path;
    }

    private string RuntimeToml()
    {
        if (DefaultHandler is null && PauseBinary is null && PauseImage is null && RuncRoot is null && Launcher is null) return "";
        var sb = new StringBuilder("[runtime]\n");
        if (DefaultHandler is not null) sb.Append($"default_handler = \"{DefaultHandler}\"\n");
        if (PauseBinary is not null) sb.Append($"pause_binary = \"{PauseBinary}\"\n");
        if (PauseImage is not null) sb.Append($"pause_image = \"{PauseImage}\"\n");
        if (RuncRoot is not null) sb.Append($"[runtime.handlers.runc]\npath = \"/usr/sbin/runc\"\nroot = \"{RuncRoot}\"\n");
        if (Launcher is { } l) sb.Append($"[runtime.handlers.criruntime]\npath = \"{l.Path}\"\nroot = \"{l.Root}\"\n");
        return sb.ToString();
    }

    public void Delete()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A test that leaked a mount under Dir fails its own leak check; don't mask that here.
        }
    }
}
