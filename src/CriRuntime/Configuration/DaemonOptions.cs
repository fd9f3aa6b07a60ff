using Microsoft.Extensions.Logging;

namespace CriRuntime.Configuration;

/// <summary>The effective daemon configuration: defaults, then the TOML file, then environment, then flags.</summary>
internal sealed record DaemonOptions
{
    public const string DefaultConfigPath = "/etc/criruntime/criruntime.toml";

    /// <summary>Persistent state (images, sandbox and container records).</summary>
    public string Root { get; init; } = "/var/lib/criruntime";

    /// <summary>Volatile state that dies with a reboot (netns pins, bundles, sockets).</summary>
    public string RunRoot { get; init; } = "/run/criruntime";

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>"text" (one line per event) or "json" (one JSON object per event).</summary>
    public string LogFormat { get; init; } = "text";

    public ApiOptions Api { get; init; } = new();
    public RuntimeOptions Runtime { get; init; } = new();
    public NetworkOptions Network { get; init; } = new();
    public ImageOptions Image { get; init; } = new();
    public TelemetryOptions Telemetry { get; init; } = new();
}

internal sealed record ApiOptions
{
    public string Listen { get; init; } = "/run/criruntime/criruntime.sock";

    /// <summary>Address of the exec/attach/port-forward streaming server.</summary>
    public string StreamAddress { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port at start.</summary>
    public int StreamPort { get; init; }

    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromHours(4);
}

internal sealed record RuntimeOptions
{
    public string DefaultHandler { get; init; } = "criruntime";
    public string ConmonPath { get; init; } = "/usr/bin/conmon";

    /// <summary>The static pause binary the daemon puts in every pod's minimal rootfs.</summary>
    public string PauseBinary { get; init; } = "/usr/local/bin/criruntime-pause";

    /// <summary>A pause image to run pods from instead (pulled if absent, pinned while pods use it); empty: the built-in rootfs.</summary>
    public string PauseImage { get; init; } = "";

    /// <summary>Runtime handler name (CRI runtime_handler, RuntimeClass handler) to OCI runtime.</summary>
    public IReadOnlyDictionary<string, RuntimeHandlerOptions> Handlers { get; init; } =
        new SortedDictionary<string, RuntimeHandlerOptions>(StringComparer.Ordinal)
        {
            ["criruntime"] = new("/usr/local/bin/criruntime-launch", "/run/criruntime-launch"),
            ["runc"] = new("/usr/sbin/runc", "/run/runc"),
        };
}

/// <param name="Path">The OCI runtime binary.</param>
/// <param name="Root">Its state directory (passed as --root).</param>
internal sealed record RuntimeHandlerOptions(string Path, string Root);

internal sealed record NetworkOptions
{
    public string CniConfDir { get; init; } = "/etc/cni/net.d";
    public IReadOnlyList<string> CniPluginDirs { get; init; } = ["/opt/cni/bin", "/usr/lib/cni"];

    /// <summary>How long one CNI plugin call may take.</summary>
    public TimeSpan CniPluginTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

internal sealed record TelemetryOptions
{
    /// <summary>OTLP endpoint for traces and metrics; empty turns the exporter off.</summary>
    public string OtlpEndpoint { get; init; } = "";

    /// <summary>"grpc" (port 4317 by convention) or "http/protobuf" (4318; /v1/traces and /v1/metrics are appended).</summary>
    public string OtlpProtocol { get; init; } = "grpc";

    /// <summary>host:port of a Prometheus scrape endpoint (/metrics); empty turns it off.</summary>
    public string PrometheusListen { get; init; } = "";

    public string ServiceName { get; init; } = "criruntime";
}

internal sealed record ImageOptions
{
    /// <summary>The registry of short names ("busybox" is docker.io/library/busybox).</summary>
    public string DefaultRegistry { get; init; } = "docker.io";

    /// <summary>Layers of one pull downloaded at once.</summary>
    public int MaxConcurrentDownloads { get; init; } = 3;

    public IReadOnlyList<RegistryOptions> Registries { get; init; } = [];
}

/// <param name="Prefix">The registry host this entry applies to, as references name it ("registry.k8s.io", "127.0.0.1:5000").</param>
/// <param name="Location">Where that registry really is: host[:port] or a URL; empty means the prefix itself.</param>
/// <param name="Insecure">Plain HTTP for a location without a scheme, and no TLS verification for https:// ones.</param>
/// <param name="CaFile">A PEM CA bundle trusted for this registry and its mirrors, in addition to the system's.</param>
/// <param name="Mirrors">URLs tried in order before the location; credentials are never sent to them.</param>
internal sealed record RegistryOptions(string Prefix, string Location, bool Insecure, string CaFile, IReadOnlyList<string> Mirrors);
