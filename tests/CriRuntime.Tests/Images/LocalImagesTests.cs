using System.Text;
using CriRuntime.Configuration;
using CriRuntime.Images;
using CriRuntime.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriRuntime.Tests.Images;

// How users name local images: ids, id prefixes, normalised tags and digests.
public sealed class LocalImagesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("criruntime-local-").FullName;
    private readonly LocalImages _images;
    private readonly ImageStore _store;
    private readonly BlobStore _blobs;

    public LocalImagesTests()
    {
        var layout = new StorageLayout(_dir);
        _blobs = new BlobStore(layout);
        _store = new ImageStore(layout, _blobs, new LayerStore(layout, _blobs), NullLogger<ImageStore>.Instance);
        _images = new LocalImages(new DaemonOptions(), _store, _blobs, layout);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Resolve_EveryKindOfName_FindsTheImage()
    {
        var digest = "sha256:" + new string('d', 64);
        var id = Add("busybox", "docker.io/library/busybox:latest", "docker.io/library/busybox@" + digest);

        foreach (var name in new[] { id, id[7..], id[7..19], "busybox", "busybox:latest", "docker.io/library/busybox", "library/busybox:latest", "busybox@" + digest })
        {
            Assert.Equal(id, _images.Resolve(name)?.Id);
        }
        Assert.Null(_images.Resolve("busybox:other"));
        Assert.Null(_images.Resolve(id[7..14])); // too short to be taken for an id
        Assert.Null(_images.Resolve("not a reference"));
    }

    [Fact]
    public void List_Filter_OnlyTheImageItNames()
    {
        var a = Add("a", "example.com/a:1", null);
        Add("b", "example.com/b:1", null);

        Assert.Equal(2, _images.List(null).Count);
        Assert.Equal([a], _images.List("example.com/a:1").Select(i => i.Id));
        Assert.Equal([a], _images.List(a).Select(i => i.Id));
        Assert.Empty(_images.List("example.com/c:1"));
    }

    private string Add(string name, string tag, string? digestName)
    {
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"" + name + "\"]}}");
        var id = Digest.Of(config);
        _blobs.Write(id, config);
        _store.Commit(new ImageRecord { Id = id, ManifestDigest = id, Size = config.Length, Layers = [] }, tag, digestName);
        return id;
    }
}
