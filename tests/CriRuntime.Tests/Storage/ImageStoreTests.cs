using System.Text;
using CriRuntime.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriRuntime.Tests.Storage;

// The store's naming and garbage-collection rules, on a real directory with hand-made layers and blobs.
public sealed class ImageStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("criruntime-store-").FullName;
    private readonly StorageLayout _layout;
    private readonly BlobStore _blobs;
    private readonly LayerStore _layers;

    public ImageStoreTests()
    {
        _layout = new StorageLayout(_dir);
        _layout.Prepare();
        _blobs = new BlobStore(_layout);
        _layers = new LayerStore(_layout, _blobs);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Remove_SharedLayerKept_UnsharedLayerAndBlobsDeleted()
    {
        var store = NewStore();
        var shared = Layer("shared");
        var a = Image("a", shared, Layer("only-a"));
        var b = Image("b", shared);
        store.Commit(a, "r/a:1", null);
        store.Commit(b, "r/b:1", null);

        Assert.True(store.Remove(a.Id));

        Assert.True(_layers.Contains(shared.ChainId));
        Assert.False(_layers.Contains(a.Layers[1].ChainId));
        Assert.False(_blobs.Contains(a.Id));
        Assert.False(_blobs.Contains(a.Layers[1].Digest));
        Assert.True(_blobs.Contains(b.Id));
        Assert.False(store.Remove(a.Id));
    }

    [Fact]
    public void Commit_TagMovesToNewImage_OldImageWithoutNamesIsCollected()
    {
        var store = NewStore();
        var old = Image("old", Layer("old-layer"));
        var @new = Image("new", Layer("new-layer"));
        store.Commit(old, "r/x:latest", null);

        store.Commit(@new, "r/x:latest", null);

        Assert.Null(store.FindById(old.Id));
        Assert.Equal(@new.Id, store.FindByName("r/x:latest")?.Id);
        Assert.False(_layers.Contains(old.Layers[0].ChainId));
    }

    [Fact]
    public void CollectGarbage_PinnedByRunningPull_Kept()
    {
        var store = NewStore();
        var layer = Layer("in-flight");

        using (store.Pin([layer.Digest, layer.ChainId]))
        {
            store.CollectGarbage();
            Assert.True(_layers.Contains(layer.ChainId));
        }
        store.CollectGarbage();

        Assert.False(_layers.Contains(layer.ChainId));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_layout.Temp));
    }

    [Fact]
    public void Remove_LayersPinnedByAContainer_KeptUntilUnpinned()
    {
        var store = NewStore();
        var image = Image("running", Layer("lower"));
        var stored = store.Commit(image, "r/run:1", null);
        var pin = store.PinLayers(stored);

        store.Remove(image.Id);

        Assert.True(_layers.Contains(image.Layers[0].ChainId));
        pin.Dispose();
        store.CollectGarbage();
        Assert.False(_layers.Contains(image.Layers[0].ChainId));
    }

    [Fact]
    public void Reopen_RecordsLoadedWithNamesAndLowerDirsTopFirst()
    {
        var first = NewStore();
        var bottom = Layer("bottom");
        var top = Layer("top");
        var image = Image("reopen", bottom, top);
        first.Commit(image, "r/y:1", "r/y@sha256:" + new string('a', 64));

        var loaded = NewStore().FindByName("r/y:1");

        Assert.NotNull(loaded);
        Assert.Equal(["r/y@sha256:" + new string('a', 64)], loaded.Record.RepoDigests);
        Assert.Equal([_layout.LayerDiffPath(top.ChainId), _layout.LayerDiffPath(bottom.ChainId)], loaded.LowerDirs);
        Assert.Equal("1000", loaded.Config.Config?.User);
        Assert.Equal((1000L, ""), loaded.User);
    }

    private ImageStore NewStore() => new(_layout, _blobs, _layers, NullLogger<ImageStore>.Instance);

    private LayerDescriptor Layer(string name)
    {
        var blob = Encoding.UTF8.GetBytes("blob of " + name);
        var digest = Digest.Of(blob);
        _blobs.Write(digest, blob);
        var chainId = Digest.Of(Encoding.UTF8.GetBytes("chain of " + name));
        Directory.CreateDirectory(_layout.LayerDiffPath(chainId));
        return new LayerDescriptor(digest, blob.Length, "application/vnd.oci.image.layer.v1.tar+gzip", chainId, chainId);
    }

    private ImageRecord Image(string name, params LayerDescriptor[] layers)
    {
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"1000\",\"Cmd\":[\"" + name + "\"]}}");
        var id = Digest.Of(config);
        _blobs.Write(id, config);
        return new ImageRecord { Id = id, ManifestDigest = id, Size = config.Length, Layers = layers };
    }
}
