using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Network;
using CriRuntime.Oci;
using CriRuntime.Runtime;


namespace CriRuntime.Sandboxes;

/// <summary>A validated RunPodSandbox request: everything checked before the first change to the host.</summary>
internal sealed record SandboxRequest
{
    public required PodSandboxConfig Config { get; init; }
    public required OciRuntimeHandler Handler { get; init; }
    public bool HostNetwork { get; init; }
    public bool HostIpc { get; init; }
    public NamespaceSharing Pid { get; init; }
    public required Dictionary<string, string> Sysctls { get; init; }
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public IReadOnlyList<uint> SupplementalGroups { get; init; } = [];
    public SeccompMode Seccomp { get; init; }
    public string CgroupParent { get; init; } = "";
    public CniBandwidth? Bandwidth { get; init; }
    public IReadOnlyList<CniPortMapping> PortMappings { get; init; } = [];

    /// <summary>From the cni.criruntime.io/ips annotation; none for a host-network pod (no CNI runs).</summary>
    public IReadOnlyList<string> StaticIps { get; init; } = [];

    /// <summary>The pause's user when the pod sets none: 65535, as the upstream pause image.</summary>
    private const uint DefaultPauseId = 65535;

    /// <exception cref="InvalidArgumentException">The request is malformed; nothing has been changed.</exception>
    public static SandboxRequest Validate(PodSandboxConfig? config, OciRuntimeHandler handler)
    {
        if (config is null) throw new InvalidArgumentException("PodSandboxConfig is required");
        var m = config.Metadata ?? throw new InvalidArgumentException("PodSandboxConfig.metadata is required");
        if (m.Name.Length == 0) throw new InvalidArgumentException("PodSandboxConfig.metadata.name is required");
        if (m.Uid.Length == 0) throw new InvalidArgumentException("PodSandboxConfig.metadata.uid is required");
        if (m.Namespace.Length == 0) throw new InvalidArgumentException("PodSandboxConfig.metadata.namespace is required");

        var linux = config.Linux;
        var sc = linux?.SecurityContext;
        var ns = sc?.NamespaceOptions;
        if (ns?.Network == NamespaceMode.Target || ns?.Ipc == NamespaceMode.Target || ns?.Pid == NamespaceMode.Target)
        {
            throw new InvalidArgumentException("namespace mode TARGET is only valid for containers, not for a pod");
        }
        var hostNetwork = ns?.Network == NamespaceMode.Node;
        var hostIpc = ns?.Ipc == NamespaceMode.Node;
        var cgroupParent = linux?.CgroupParent ?? "";
        if (cgroupParent.Length > 0 && (!cgroupParent.StartsWith('/') || cgroupParent.Split('/').Any(p => p is ".." or ".")))
        {
            throw new InvalidArgumentException($"linux.cgroup_parent \"{cgroupParent}\" must be an absolute cgroupfs path");
        }
        return new SandboxRequest
        {
            Config = config,
            Handler = handler,
            HostNetwork = hostNetwork,
            HostIpc = hostIpc,
            Pid = ns?.Pid switch { NamespaceMode.Node => NamespaceSharing.Node, NamespaceMode.Container => NamespaceSharing.Container, _ => NamespaceSharing.Pod },
            Sysctls = SysctlPolicy.Validate(linux?.Sysctls ?? (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(), hostNetwork, hostIpc),
            Uid = sc?.RunAsUser is { } u ? Id("run_as_user", u.Value) : DefaultPauseId,
            Gid = sc?.RunAsGroup is { } g ? Id("run_as_group", g.Value) : sc?.RunAsUser is not null ? 0 : DefaultPauseId,
            SupplementalGroups = sc?.SupplementalGroups.Select(x => Id("supplemental_groups", x)).ToList() ?? [],
            Seccomp = SeccompOf(sc),
            CgroupParent = cgroupParent,
            Bandwidth = BandwidthQuantity.FromAnnotations(config.Annotations),
            PortMappings = hostNetwork ? [] : PortMappingsOf(config),
            StaticIps = hostNetwork ? [] : StaticIpAnnotation.FromAnnotations(config.Annotations),
        };
    }

    private static uint Id(string field, long value) =>
        value is >= 0 and <= uint.MaxValue - 1 ? (uint)value : throw new InvalidArgumentException($"security_context.{field} {value} is out of range");

    private static SeccompMode SeccompOf(LinuxSandboxSecurityContext? sc)
    {
        if (sc?.Seccomp is { } profile)
        {
            return profile.ProfileType switch
            {
                SecurityProfile.Types.ProfileType.RuntimeDefault => SeccompMode.RuntimeDefault,
                SecurityProfile.Types.ProfileType.Unconfined => SeccompMode.Unconfined,
                _ => throw new UnimplementedException("Localhost seccomp profiles for the pod sandbox are not supported yet"),
            };
        }
        return sc?.SeccompProfilePath switch
        {
            null or "" or "unconfined" => SeccompMode.Unconfined,
            "runtime/default" or "docker/default" => SeccompMode.RuntimeDefault,
            var other => throw new UnimplementedException($"seccomp profile \"{other}\" for the pod sandbox is not supported yet"),
        };
    }

    /// <summary>The hostPort mappings portmap gets (ADD and DEL must pass the same).</summary>
    public static List<CniPortMapping> PortMappingsOf(PodSandboxConfig config)
    {
        var result = new List<CniPortMapping>();
        foreach (var p in config.PortMappings)
        {
            if (p.HostPort <= 0) continue;
            if (p.HostPort > 65535 || p.ContainerPort is <= 0 or > 65535)
            {
                throw new InvalidArgumentException($"port mapping {p.HostPort}:{p.ContainerPort} is out of range");
            }
            var protocol = p.Protocol switch { Protocol.Udp => "udp", Protocol.Sctp => "sctp", _ => "tcp" };
            result.Add(new CniPortMapping(p.HostPort, p.ContainerPort, protocol, p.HostIp));
        }
        return result;
    }
}
