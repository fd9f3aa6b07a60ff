using System.Diagnostics;
using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;
using static CriRuntime.IntegrationTests.Images.PullImageTests;

namespace CriRuntime.IntegrationTests.Images;

public sealed class ImageStoreTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RemoveImage_ByTagDigestAndId_RemovesImageLayersAndBlobs()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:1");
        var (_, manifestDigest) = await registry.GetManifestAsync("busybox", "1");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));
        var tag = $"{registry.Host}/busybox:1";

        foreach (var name in new[] { tag, $"{registry.Host}/busybox@{manifestDigest}", "<id>", "<short id>" })
        {
            var id = await Pull(daemon, tag);
            var reference = name switch { "<id>" => id, "<short id>" => id[7..20], _ => name };

            await daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = reference } });

            Assert.Empty((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
            Assert.Null((await daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = id } })).Image);
            AssertStorageEmpty(daemon);
        }
        // CRI: removing what is not there is not an error.
        await daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = tag } });
    }

    [Fact]
    public async Task RemoveImage_SharedLayer_KeptForTheOtherImage()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:1");
        await registry.PushBusyboxAsync("busybox:nobody", "nobody");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));
        var root = await Pull(daemon, $"{registry.Host}/busybox:1");
        var nobody = await Pull(daemon, $"{registry.Host}/busybox:nobody");
        Assert.NotEqual(root, nobody);

        await daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = root } });

        var left = Assert.Single((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
        Assert.Equal("nobody", left.Username);
        var layerDir = Assert.Single(Directory.GetDirectories(Path.Combine(daemon.Settings.Root, "storage", "layers")));
        Assert.True(File.Exists(Path.Combine(layerDir, "diff", "bin", "busybox")));
    }

    [Fact]
    public async Task ImageStatus_VerboseAndUser_ReportConfigAndUid()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:uid", "1000:1000");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));
        var id = await Pull(daemon, $"{registry.Host}/busybox:uid");

        var status = await daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = $"{registry.Host}/busybox:uid" }, Verbose = true });

        Assert.Equal(id, status.Image.Id);
        Assert.Equal(1000, status.Image.Uid.Value);
        using var info = JsonDocument.Parse(status.Info["info"]);
        var config = info.RootElement.GetProperty("imageSpec");
        Assert.Equal("amd64", config.GetProperty("architecture").GetString());
        Assert.Equal("sh", config.GetProperty("config").GetProperty("Cmd")[0].GetString());
        Assert.True(config.TryGetProperty("history", out _), "the whole config, as containerd shows it");
        Assert.StartsWith("sha256:", info.RootElement.GetProperty("chainID").GetString());
        var filtered = await daemon.Images.ListImagesAsync(new ListImagesRequest { Filter = new ImageFilter { Image = new ImageSpec { Image = id } } });
        Assert.Single(filtered.Images);
        var none = await daemon.Images.ListImagesAsync(new ListImagesRequest { Filter = new ImageFilter { Image = new ImageSpec { Image = "nothere:1" } } });
        Assert.Empty(none.Images);
    }

    [Fact]
    public async Task ImageFsInfo_PullThenRemove_CountsBytesAndInodes()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:1");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));
        var before = await daemon.Images.ImageFsInfoAsync(new ImageFsInfoRequest());
        await Pull(daemon, $"{registry.Host}/busybox:1");

        var after = await daemon.Images.ImageFsInfoAsync(new ImageFsInfoRequest());

        var images = Assert.Single(after.ImageFilesystems);
        Assert.Equal(Path.Combine(daemon.Settings.Root, "storage"), images.FsId.Mountpoint);
        // busybox-static is ~2 MB, stored compressed and unpacked; its applets are hard links (one inode).
        Assert.InRange(images.UsedBytes.Value - before.ImageFilesystems[0].UsedBytes.Value, 2_000_000UL, 10_000_000UL);
        Assert.InRange(images.InodesUsed.Value - before.ImageFilesystems[0].InodesUsed.Value, 5UL, 100UL);
        Assert.Equal(Path.Combine(daemon.Settings.Root, "storage", "containers"), Assert.Single(after.ContainerFilesystems).FsId.Mountpoint);

        await daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = $"{registry.Host}/busybox:1" } });
        var removed = await daemon.Images.ImageFsInfoAsync(new ImageFsInfoRequest());
        Assert.Equal(before.ImageFilesystems[0].InodesUsed.Value, removed.ImageFilesystems[0].InodesUsed.Value);
        Assert.Equal(before.ImageFilesystems[0].UsedBytes.Value, removed.ImageFilesystems[0].UsedBytes.Value);
    }

    [Fact]
    public async Task ListImages_AfterRestart_StillThere()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:1");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));
        var id = await Pull(daemon, $"{registry.Host}/busybox:1");

        await daemon.RestartAsync();

        var image = Assert.Single((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
        Assert.Equal(id, image.Id);
        Assert.Equal([$"{registry.Host}/busybox:1"], image.RepoTags);
    }
}
