using System.Text.Json.Serialization;
using CriRuntime.State;

namespace CriRuntime.Tests.State;

public sealed record SampleRecord(string Name, int Count);

[JsonSerializable(typeof(SampleRecord))]
internal sealed partial class SampleJsonContext : JsonSerializerContext;

public sealed class RecordStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("criruntime-records-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SaveLoadDelete_RoundTrip()
    {
        var store = new RecordStore<SampleRecord>(_dir, SampleJsonContext.Default.SampleRecord);

        store.Save("abc", new SampleRecord("pod", 2));
        Assert.Equal(new SampleRecord("pod", 2), store.Load("abc"));

        store.Delete("abc");
        Assert.Null(store.Load("abc"));
    }

    [Fact]
    public void LoadAll_SkipsCorruptRecordsAndReportsThem()
    {
        var store = new RecordStore<SampleRecord>(_dir, SampleJsonContext.Default.SampleRecord);
        store.Save("good", new SampleRecord("a", 1));
        File.WriteAllText(Path.Combine(_dir, "bad.json"), "{ not json");
        var corrupt = new List<string>();

        var all = store.LoadAll((path, _) => corrupt.Add(Path.GetFileName(path))).ToList();

        Assert.Equal([("good", new SampleRecord("a", 1))], all);
        Assert.Equal(["bad.json"], corrupt);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("..")]
    [InlineData("")]
    public void Save_RejectsIdsThatLeaveTheDirectory(string id)
    {
        var store = new RecordStore<SampleRecord>(_dir, SampleJsonContext.Default.SampleRecord);

        Assert.Throws<ArgumentException>(() => store.Save(id, new SampleRecord("x", 0)));
    }
}
