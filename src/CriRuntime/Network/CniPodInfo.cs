namespace CriRuntime.Network;

/// <summary>A hostPort mapping for the portmap plugin (CNI capability "portMappings").</summary>
internal sealed record CniPortMapping(int HostPort, int ContainerPort, string Protocol, string HostIp);

/// <summary>Traffic shaping for the bandwidth plugin, in bits per second (CNI capability "bandwidth").</summary>
internal sealed record CniBandwidth(long? IngressRate, long? EgressRate);

/// <summary>DNS settings for plugins that declare the "dns" capability.</summary>
internal sealed record CniDns(IReadOnlyList<string> Servers, IReadOnlyList<string> Searches, IReadOnlyList<string> Options);

/// <summary>What CNI needs to know about a pod.</summary>
internal sealed record CniPodInfo
{
    public required string SandboxId { get; init; }
    public required string NetnsPath { get; init; }
    public required string PodName { get; init; }
    public required string PodNamespace { get; init; }
    public required string PodUid { get; init; }
    public IReadOnlyList<CniPortMapping> PortMappings { get; init; } = [];
    public CniBandwidth? Bandwidth { get; init; }
    public CniDns? Dns { get; init; }

    /// <summary>Static addresses for plugins that declare the "ips" capability (<see cref="StaticIpAnnotation"/>).</summary>
    public IReadOnlyList<string> StaticIps { get; init; } = [];
}
