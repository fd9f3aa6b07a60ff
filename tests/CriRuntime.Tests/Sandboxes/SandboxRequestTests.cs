using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Oci;
using CriRuntime.Runtime;
using CriRuntime.Sandboxes;


namespace CriRuntime.Tests.Sandboxes;

public sealed class SandboxRequestTests
{
    private static readonly OciRuntimeHandler Runc = new("runc", "/usr/sbin/runc", "/run/runc");

    private static PodSandboxConfig Config() => new()
    {
        Metadata = new PodSandboxMetadata { Name = "web", Namespace = "default", Uid = "u1" },
        Linux = new LinuxPodSandboxConfig { SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = new NamespaceOption() } },
    };

    [Theory]
    [InlineData("name")]
    [InlineData("uid")]
    [InlineData("namespace")]
    public void Validate_MissingMetadata_InvalidArgumentNamingField(string field)
    {
        var config = Config();
        if (field == "name") config.Metadata.Name = "";
        if (field == "uid") config.Metadata.Uid = "";
        if (field == "namespace") config.Metadata.Namespace = "";

        var e = Assert.Throws<InvalidArgumentException>(() => SandboxRequest.Validate(config, Runc));

        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Validate_Defaults_PauseAs65535UnconfinedPodPid()
    {
        var request = SandboxRequest.Validate(Config(), Runc);

        Assert.Equal(65535u, request.Uid);
        Assert.Equal(65535u, request.Gid);
        Assert.Equal(SeccompMode.Unconfined, request.Seccomp);
        Assert.Equal(NamespaceSharing.Pod, request.Pid);
        Assert.False(request.HostNetwork);
    }

    [Fact]
    public void Validate_SecurityContextAndPorts_Mapped()
    {
        var config = Config();
        var sc = config.Linux.SecurityContext;
        sc.RunAsUser = new Int64Value { Value = 1000 };
        sc.RunAsGroup = new Int64Value { Value = 2000 };
        sc.Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault };
        sc.NamespaceOptions.Pid = NamespaceMode.Node;
        config.PortMappings.Add(new PortMapping { ContainerPort = 80, HostPort = 8080, Protocol = Protocol.Udp });
        config.PortMappings.Add(new PortMapping { ContainerPort = 81 });
        config.Annotations["kubernetes.io/ingress-bandwidth"] = "1M";

        var request = SandboxRequest.Validate(config, Runc);

        Assert.Equal(1000u, request.Uid);
        Assert.Equal(2000u, request.Gid);
        Assert.Equal(SeccompMode.RuntimeDefault, request.Seccomp);
        Assert.Equal(NamespaceSharing.Node, request.Pid);
        Assert.Equal([new CriRuntime.Network.CniPortMapping(8080, 80, "udp", "")], request.PortMappings);
        Assert.Equal(1_000_000, request.Bandwidth!.IngressRate);
    }

    [Fact]
    public void Validate_RelativeCgroupParent_Rejected()
    {
        var config = Config();
        config.Linux.CgroupParent = "../escape";

        Assert.Throws<InvalidArgumentException>(() => SandboxRequest.Validate(config, Runc));
    }

    [Fact]
    public void Validate_IpsAnnotation_StaticIpsParsed()
    {
        var config = Config();
        config.Annotations["cni.criruntime.io/ips"] = "10.1.2.3/24";

        Assert.Equal(["10.1.2.3/24"], SandboxRequest.Validate(config, Runc).StaticIps);
    }

    [Fact]
    public void Validate_BadIpsAnnotation_InvalidArgumentNamingAnnotation()
    {
        var config = Config();
        config.Annotations["cni.criruntime.io/ips"] = "10.1.2.3/24,10.1.2";

        var e = Assert.Throws<InvalidArgumentException>(() => SandboxRequest.Validate(config, Runc));

        Assert.Contains("cni.criruntime.io/ips", e.Message);
    }

    [Fact]
    public void Validate_IpsAnnotationOnHostNetworkPod_Ignored()
    {
        var config = Config();
        config.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Node;
        config.Annotations["cni.criruntime.io/ips"] = "not an address";

        Assert.Empty(SandboxRequest.Validate(config, Runc).StaticIps);
    }
}
