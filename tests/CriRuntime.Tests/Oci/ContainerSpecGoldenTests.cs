using System.Text.Json;
using System.Text.Json.Nodes;
using CriRuntime.Oci;

namespace CriRuntime.Tests.Oci;

/// <summary>
/// The config.json of a typical kubelet request (<see cref="ContainerSpecTestInput"/>), byte for byte. The same file
/// is what CriRuntime.IntegrationTests/Containers/ContainerSpecRunTests feeds to runc and criruntime-launch, so
/// "the builder's output" and "runnable by both runtimes" are one fact. UPDATE_GOLDEN=1 rewrites it.
/// </summary>
public sealed class ContainerSpecGoldenTests
{
    public static string GoldenPath
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CriRuntime.sln"))) dir = dir.Parent;
            return Path.Combine(dir!.FullName, "tests", "CriRuntime.Tests", "Oci", "testdata", "container-config.json");
        }
    }

    [Fact]
    public void Build_TypicalKubeletRequest_MatchesGoldenConfigJson()
    {
        var spec = ContainerSpecBuilder.Build(ContainerSpecTestInput.Input()).Spec;
        var json = JsonNode.Parse(JsonSerializer.Serialize(spec, OciJsonContext.Default.RuntimeSpec))!
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1") File.WriteAllText(GoldenPath, json);

        Assert.Equal(File.ReadAllText(GoldenPath), json);
    }
}
