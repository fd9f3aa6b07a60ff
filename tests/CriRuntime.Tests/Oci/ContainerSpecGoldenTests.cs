using System.Text.Json;
using System.Text.Json.Nodes;
using CriRuntime.Api.V1;
using CriRuntime.Oci;

namespace CriRuntime.Tests.Oci;

/// <summary>
/// The config.json of a typical kubelet request (<see cref="ContainerSpecTestInput"/>) and of a locked-down one, byte
/// for byte. The same files are what CriRuntime.IntegrationTests/Containers/ContainerSpecRunTests feeds to runc and criruntime-launch, so
/// "the builder's output" and "runnable by both runtimes" are one fact. UPDATE_GOLDEN=1 rewrites it.
/// </summary>
public sealed class ContainerSpecGoldenTests
{
    private static string GoldenPath(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CriRuntime.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "tests", "CriRuntime.Tests", "Oci", "testdata", name);
    }

    /// <summary>A locked-down container: a non-root user, no capabilities, read-only root, a read-only bind mount.</summary>
    private static ContainerSpecInput Restricted() => ContainerSpecTestInput.Input(ContainerSpecTestInput.With(c =>
    {
        var sc = c.Linux.SecurityContext;
        sc.RunAsUser = new Int64Value { Value = 65534 };
        sc.RunAsGroup = new Int64Value { Value = 65534 };
        sc.SupplementalGroups.Add(4000);
        sc.ReadonlyRootfs = true;
        sc.NoNewPrivs = true;
        sc.Capabilities = new Capability { DropCapabilities = { "ALL" } };
        c.Mounts.Add(new Mount { ContainerPath = "/data", HostPath = "/srv/spec-data", Readonly = true });
        c.Linux.Resources.MemoryLimitInBytes = 64 << 20;
    }));

    [Theory]
    [InlineData("container-config.json")]
    [InlineData("container-config-restricted.json")]
    public void Build_KubeletRequest_MatchesGoldenConfigJson(string golden)
    {
        var input = golden == "container-config.json" ? ContainerSpecTestInput.Input() : Restricted();
        var spec = ContainerSpecBuilder.Build(input).Spec;
        var json = JsonNode.Parse(JsonSerializer.Serialize(spec, OciJsonContext.Default.RuntimeSpec))!
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1") File.WriteAllText(GoldenPath(golden), json);

        Assert.Equal(File.ReadAllText(GoldenPath(golden)), json);
    }
}
