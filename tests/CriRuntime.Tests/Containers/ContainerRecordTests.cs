using System.Text.Json;
using CriRuntime.Containers;

namespace CriRuntime.Tests.Containers;

public sealed class ContainerRecordTests
{
    private static ContainerRecord Sample(string? intent) => new()
    {
        Id = new string('b', 64),
        SandboxId = new string('a', 64),
        State = ContainerStates.Running,
        Intent = intent,
        Config = [1, 2, 3],
        Handler = "criruntime",
        ImageName = "busybox",
        ImageId = "sha256:00",
        BundleDir = "/run/criruntime/containers/b",
        LayerDir = "/var/lib/criruntime/storage/containers/b",
        LogPath = "/var/log/pods/b.log",
        CgroupsPath = "/criruntime/b",
    };

    [Fact]
    public void Serialize_StopIntent_RoundTripsAsSnakeCaseField()
    {
        var json = JsonSerializer.Serialize(Sample(ContainerIntents.Stop), ContainerJsonContext.Default.ContainerRecord);

        Assert.Contains("\"intent\": \"stop\"", json);
        Assert.Equal(ContainerIntents.Stop, JsonSerializer.Deserialize(json, ContainerJsonContext.Default.ContainerRecord)!.Intent);
    }

    [Fact]
    public void Deserialize_RecordWrittenBeforeIntents_HasNoIntent()
    {
        // Records of an older daemon have no such field: after an upgrade they must load as "nothing to finish".
        var json = JsonSerializer.Serialize(Sample(null), ContainerJsonContext.Default.ContainerRecord).Replace("\"intent\": null,", "");

        Assert.DoesNotContain("intent", json);
        Assert.Null(JsonSerializer.Deserialize(json, ContainerJsonContext.Default.ContainerRecord)!.Intent);
    }
}
