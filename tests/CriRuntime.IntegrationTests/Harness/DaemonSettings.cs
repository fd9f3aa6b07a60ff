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

            {ExtraToml}
            """);
        return path;
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
