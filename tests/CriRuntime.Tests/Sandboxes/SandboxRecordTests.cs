using System.Text.Json;
using CriRuntime.Sandboxes;

namespace CriRuntime.Tests.Sandboxes;

public sealed class SandboxRecordTests
{
    private static SandboxRecord Sample(string? intent) => new()
    {
        Id = new string('a', 64),
        State = SandboxStates.Ready,
        Intent = intent,
        Config = [1, 2, 3],
        Handler = "criruntime",
        Dir = "/run/criruntime/sandboxes/a",
        CgroupsPath = "/criruntime/a",
    };

    [Fact]
    public void Serialize_RemoveIntent_RoundTripsAsSnakeCaseField()
    {
        var json = JsonSerializer.Serialize(Sample(SandboxIntents.Remove), SandboxJsonContext.Default.SandboxRecord);

        Assert.Contains("\"intent\": \"remove\"", json);
        Assert.Equal(SandboxIntents.Remove, JsonSerializer.Deserialize(json, SandboxJsonContext.Default.SandboxRecord)!.Intent);
    }

    [Fact]
    public void Deserialize_RecordWrittenBeforeIntents_HasNoIntent()
    {
        // Records of an older daemon have no such field: after an upgrade they must load as "nothing to finish".
        var json = JsonSerializer.Serialize(Sample(null), SandboxJsonContext.Default.SandboxRecord).Replace("\"intent\": null,", "");

        Assert.DoesNotContain("intent", json);
        Assert.Null(JsonSerializer.Deserialize(json, SandboxJsonContext.Default.SandboxRecord)!.Intent);
    }
}
