using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// A container's config.json, as kubelet expects it from containerd and CRI-O: pure, records in, spec out.
/// Each concern lives in its own piece (ContainerArgs, ContainerEnv, ProcessUser, ContainerMounts,
/// ContainerNamespaces, ContainerCapabilities, ContainerSecurity, ContainerResources, ContainerDevices).
/// </summary>
internal static class ContainerSpecBuilder
{
    /// <exception cref="InvalidArgumentException">The request cannot be turned into a valid spec.</exception>
    /// <exception cref="UnimplementedException">It asks for something CriRuntime does not support.</exception>
    public static ContainerSpecResult Build(ContainerSpecInput input)
    {
        var config = input.Config;
        var sc = config.Linux?.SecurityContext ?? new LinuxContainerSecurityContext();
        var podSc = input.Pod.Config.Linux?.SecurityContext;
        var privileged = sc.Privileged;
        if (privileged && podSc?.Privileged != true)
        {
            throw new InvalidArgumentException("a privileged container needs a privileged pod (security_context.privileged on the sandbox)");
        }
        if (config.CDIDevices.Count > 0)
        {
            throw new UnimplementedException($"CDI devices ({config.CDIDevices[0].Name}) are not supported");
        }
        var ns = sc.NamespaceOptions ?? new NamespaceOption();
        var hostNetwork = ns.Network == NamespaceMode.Node;
        // containerd: a pod without a hostname (host network, usually) reports the node's in HOSTNAME.
        var hostname = input.Pod.Config.Hostname.Length == 0 ? input.NodeHostname : input.Pod.Config.Hostname;

        var caps = ContainerCapabilities.Build(sc.Capabilities, privileged, input.HostCapabilities);
        var mounts = ContainerMounts.Build(input, privileged, sc.ReadonlyRootfs);
        var warnings = mounts.Warnings;
        var (masked, readonlyPaths) = ContainerSecurity.Paths(sc, privileged);
        var oomScoreAdj = config.Linux?.Resources?.OomScoreAdj ?? 0;
        if (oomScoreAdj is < -1000 or > 1000) throw new InvalidArgumentException($"oom_score_adj {oomScoreAdj} is outside -1000..1000");
        var sysctls = SysctlPolicy.Validate((IReadOnlyDictionary<string, string>?)input.Pod.Config.Linux?.Sysctls ?? new Dictionary<string, string>(),
            hostNetwork, ns.Ipc == NamespaceMode.Node);

        var spec = new RuntimeSpec
        {
            Process = new SpecProcess
            {
                Terminal = config.Tty,
                User = ProcessUser.Resolve(sc, input.Image?.User, UserDatabase.Parse(input.PasswdText, input.GroupText)),
                Args = ContainerArgs.Merge(config.Command, config.Args, input.Image?.Entrypoint, input.Image?.Cmd),
                Env = ContainerEnv.Build(hostname, input.Image?.Env, config.Envs),
                Cwd = ContainerArgs.WorkingDir(config.WorkingDir, input.Image?.WorkingDir),
                Capabilities = caps,
                NoNewPrivileges = sc.NoNewPrivs,
                OomScoreAdj = (int)oomScoreAdj,
                ApparmorProfile = ContainerSecurity.AppArmor(sc, privileged, input.AppArmorAvailable),
            },
            Root = new SpecRoot(input.RootfsPath, sc.ReadonlyRootfs),
            Mounts = mounts.Mounts,
            Annotations = Annotations(input),
            Linux = new SpecLinux
            {
                Namespaces = ContainerNamespaces.Build(ns, input.Pod),
                Sysctl = sysctls.Count == 0 ? null : sysctls,
                Resources = ContainerResources.Build(config.Linux?.Resources, input, privileged, warnings),
                CgroupsPath = CgroupsPath(input.Pod.CgroupParent, input.ContainerId),
                Seccomp = ContainerSecurity.Seccomp(sc, privileged, caps.Effective, input.LocalhostSeccomp),
                MaskedPaths = masked,
                ReadonlyPaths = readonlyPaths,
                Devices = ContainerDevices.Build(input.HostDevices),
                RootfsPropagation = mounts.RootfsPropagation,
            },
        };
        return new ContainerSpecResult(spec, mounts.VolumeDirs, warnings);
    }

    /// <summary><c>&lt;pod cgroup parent&gt;/&lt;container id&gt;</c>, cgroupfs form, as containerd names it.</summary>
    public static string CgroupsPath(string parent, string containerId)
    {
        if (parent.Length == 0) parent = "/criruntime";
        if (!parent.StartsWith('/') || parent.Split('/').Contains(".."))
        {
            throw new InvalidArgumentException($"cgroup_parent \"{parent}\" is not an absolute cgroupfs path");
        }
        return parent.TrimEnd('/') + "/" + containerId;
    }

    /// <summary>The annotations containerd's CRI sets; runtimes and hooks key on them.</summary>
    private static Dictionary<string, string> Annotations(ContainerSpecInput input)
    {
        var meta = input.Pod.Config.Metadata ?? new PodSandboxMetadata();
        return new Dictionary<string, string>
        {
            ["io.kubernetes.cri.container-type"] = "container",
            ["io.kubernetes.cri.container-name"] = input.Config.Metadata?.Name ?? "",
            ["io.kubernetes.cri.sandbox-id"] = input.Pod.SandboxId,
            ["io.kubernetes.cri.sandbox-name"] = meta.Name,
            ["io.kubernetes.cri.sandbox-namespace"] = meta.Namespace,
            ["io.kubernetes.cri.sandbox-uid"] = meta.Uid,
            ["io.kubernetes.cri.image-name"] = input.ImageName,
        };
    }
}
