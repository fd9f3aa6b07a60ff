using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Sandboxes;

/// <summary>runtime.pause_image: pods run from a pause image pulled from a registry, pinned while in use.</summary>
[Collection("pods")]
public sealed class PauseImageTests(ITestOutputHelper output)
{
    // The pull leaves its keep-alive connection to the registry in the daemon's HTTP pool: a socket, not a leak.
    private const string PooledRegistryConnection = "daemon fds";

    [Fact]
    public async Task RunPodSandbox_PauseImageInRegistry_PullsPinsAndRunsItsEntrypoint()
    {
        await using var registry = await TestRegistry.StartAsync();
        registry.PushPause("pause:3.9", Pods.Pause);
        var pauseImage = $"{registry.Host}/pause:3.9";
        var cgroupParent = Pods.NewCgroupParent();
        PodNetwork? network = null;
        await using var daemon = await CriDaemon.StartAsync(output, s =>
        {
            Pods.Configure(s);
            s.CniPluginDirs.Add("/usr/lib/cni");
            network = PodNetwork.For(s);
            s.ExtraToml.Append(registry.InsecureToml);
            s.PauseImage = pauseImage;
        });
        using var _ = network;
        try
        {
            var before = LeakCheck.Take(daemon, network, cgroupParent);

            var id = (await daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = Pods.Config("img", cgroupParent) })).PodSandboxId;

            var image = (await daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = pauseImage } })).Image;
            Assert.NotNull(image);
            Assert.True(image.Pinned);
            var status = await daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true });
            Assert.Equal(PodSandboxState.SandboxReady, status.Status.State);
            Assert.NotEmpty(status.Status.Network.Ip);
            using var info = JsonDocument.Parse(status.Info["info"]);
            Assert.Equal(image.Id, info.RootElement.GetProperty("pauseImage").GetString());
            var pid = info.RootElement.GetProperty("pid").GetInt32();
            // The pause runs from the image's overlay (read-only, no upper dir), as its Entrypoint.
            Assert.Equal("/pause", File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0'));
            var rootfs = File.ReadLines("/proc/self/mountinfo").Single(l => l.Contains($"/sandboxes/{id}/rootfs "));
            Assert.Contains(" overlay ", rootfs);
            Assert.DoesNotContain("upperdir", rootfs);
            Assert.Matches(@"\bro\b", rootfs.Split(' ')[5]);

            var remove = await Assert.ThrowsAsync<RpcException>(async () =>
                await daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = pauseImage } }));
            Assert.Equal(StatusCode.FailedPrecondition, remove.StatusCode);
            // The pod holds its image again after a restart (from its record).
            await daemon.RestartAsync();
            var again = await Assert.ThrowsAsync<RpcException>(async () =>
                await daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = pauseImage } }));
            Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);

            await daemon.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id });
            Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains($"/sandboxes/{id}/rootfs "));
            await daemon.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id });
            LeakCheck.Take(daemon, network, cgroupParent).AssertSameAs(before, PooledRegistryConnection);

            // No pod uses it any more: it can go.
            await daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = pauseImage } });
            Assert.Null((await daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = pauseImage } })).Image);
        }
        finally
        {
            await Pods.RemoveAllAsync(daemon);
            Pods.RemoveCgroupParent(cgroupParent);
        }
    }

    [Fact]
    public async Task RunPodSandbox_PauseImageNotInRegistry_FailsNamingItAndLeavesNothing()
    {
        await using var registry = await TestRegistry.StartAsync();
        var pauseImage = $"{registry.Host}/no-such-pause:1";
        var cgroupParent = Pods.NewCgroupParent();
        PodNetwork? network = null;
        await using var daemon = await CriDaemon.StartAsync(output, s =>
        {
            Pods.Configure(s);
            s.CniPluginDirs.Add("/usr/lib/cni");
            network = PodNetwork.For(s);
            s.ExtraToml.Append(registry.InsecureToml);
            s.PauseImage = pauseImage;
        });
        using var _ = network;
        try
        {
            var before = LeakCheck.Take(daemon, network, cgroupParent);

            var e = await Assert.ThrowsAsync<RpcException>(async () =>
                await daemon.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = Pods.Config("noimg", cgroupParent) }));

            Assert.Contains(pauseImage, e.Status.Detail);
            Assert.Empty((await daemon.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items);
            Assert.Empty((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
            LeakCheck.Take(daemon, network, cgroupParent).AssertSameAs(before, PooledRegistryConnection);
        }
        finally
        {
            await Pods.RemoveAllAsync(daemon);
            Pods.RemoveCgroupParent(cgroupParent);
        }
    }
}
