using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using CriRuntime.Tests.Storage;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Images;

public sealed class PullImageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PullImage_ByTag_ReportsIdTagsDigestsAndSize()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:1");
        var (configDigest, layers) = await registry.GetImageAsync("busybox", "1");
        var (manifest, manifestDigest) = await registry.GetManifestAsync("busybox", "1");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

        var pulled = await daemon.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = $"{registry.Host}/busybox:1" } });

        Assert.Equal(configDigest, pulled.ImageRef);
        var image = Assert.Single((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
        Assert.Equal(configDigest, image.Id);
        Assert.Equal([$"{registry.Host}/busybox:1"], image.RepoTags);
        Assert.Equal([$"{registry.Host}/busybox@{manifestDigest}"], image.RepoDigests);
        using var doc = JsonDocument.Parse(manifest);
        // What containerd 1.6 reports for the same image: manifest + config + layers.
        var expectedSize = manifest.Length + doc.RootElement.GetProperty("config").GetProperty("size").GetInt64()
            + doc.RootElement.GetProperty("layers").EnumerateArray().Sum(l => l.GetProperty("size").GetInt64());
        Assert.Equal((ulong)expectedSize, image.Size);
        Assert.Null(image.Uid);
        Assert.Equal("", image.Username);

        // The applets stay hard links of one file in the unpacked layer.
        var diff = Directory.GetDirectories(Path.Combine(daemon.Settings.Root, "storage", "layers")).Single();
        var sh = new FileInfo(Path.Combine(diff, "diff", "bin", "sh"));
        Assert.True(sh.Exists);
        Assert.Equal(new FileInfo(Path.Combine(diff, "diff", "bin", "busybox")).Length, sh.Length);
        Assert.True(LinkCount(sh.FullName) > 100);
        Assert.Single(layers);
    }

    [Fact]
    public async Task PullImage_WithoutTagThenByDigest_SameImageBothNames()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:latest");
        var (configDigest, _) = await registry.GetImageAsync("busybox", "latest");
        var (_, manifestDigest) = await registry.GetManifestAsync("busybox", "latest");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

        var byName = await Pull(daemon, $"{registry.Host}/busybox");
        var byDigest = await Pull(daemon, $"{registry.Host}/busybox@{manifestDigest}");

        Assert.Equal(configDigest, byName);
        Assert.Equal(configDigest, byDigest);
        var status = await daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = $"{registry.Host}/busybox@{manifestDigest}" } });
        Assert.Equal([$"{registry.Host}/busybox:latest"], status.Image.RepoTags);
        Assert.Equal([$"{registry.Host}/busybox@{manifestDigest}"], status.Image.RepoDigests);
    }

    [Fact]
    public async Task PullImage_DockerSchema2_PulledLikeOci()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("docker:1", dockerFormat: true);
        var (body, _) = await registry.GetManifestAsync("docker", "1");
        Assert.Contains("application/vnd.docker.image.rootfs.diff.tar.gzip", System.Text.Encoding.UTF8.GetString(body));
        var (configDigest, _) = await registry.GetImageAsync("docker", "1");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

        Assert.Equal(configDigest, await Pull(daemon, $"{registry.Host}/docker:1"));
    }

    [Fact]
    public async Task PullImage_TwoTagsOfOneImage_OneIdWithBothTags()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:a");
        var (body, _) = await registry.GetManifestAsync("busybox", "a");
        await registry.PushManifestAsync("busybox", "b", TestRegistry.OciManifest, body);
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

        var a = await Pull(daemon, $"{registry.Host}/busybox:a");
        var b = await Pull(daemon, $"{registry.Host}/busybox:b");

        Assert.Equal(a, b);
        var image = Assert.Single((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
        Assert.Equal([$"{registry.Host}/busybox:a", $"{registry.Host}/busybox:b"], image.RepoTags.Order());
    }

    [Fact]
    public async Task PullImage_MultiPlatformIndex_PicksLinuxAmd64AndKeepsIndexDigest()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:amd64");
        var (_, amd64Manifest) = await registry.GetManifestAsync("busybox", "amd64");
        var arm64Manifest = await registry.PushLayersAsync("busybox:arm64", [new TarLayer().File("arm64", "not this one").ToArray()], "arm64");
        var indexDigest = await registry.PushIndexAsync("busybox", "multi", (arm64Manifest, "arm64"), (amd64Manifest, "amd64"));
        var (amd64Config, _) = await registry.GetImageAsync("busybox", "amd64");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

        var id = await Pull(daemon, $"{registry.Host}/busybox:multi");

        Assert.Equal(amd64Config, id);
        var image = Assert.Single((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
        Assert.Equal([$"{registry.Host}/busybox@{indexDigest}"], image.RepoDigests);
    }

    [Fact]
    public async Task PullImage_FromMirror_KeepsOriginalName()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("pause:3.9");
        // The registry itself points at a closed loopback port: the test must never reach the real registry.k8s.io.
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append($"""
            [[image.registries]]
            prefix = "registry.k8s.io"
            location = "127.0.0.1:9"
            mirrors = ["http://{registry.Host}"]
            """));

        var id = await Pull(daemon, "registry.k8s.io/pause:3.9");

        var image = Assert.Single((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
        Assert.Equal(id, image.Id);
        Assert.Equal(["registry.k8s.io/pause:3.9"], image.RepoTags);
        Assert.StartsWith("registry.k8s.io/pause@sha256:", Assert.Single(image.RepoDigests));
        var status = await daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = "registry.k8s.io/pause:3.9" } });
        Assert.Equal(id, status.Image.Id);
    }

    [Fact]
    public async Task PullImage_MirrorDown_FallsBackToRegistry()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:1");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append($"""
            [[image.registries]]
            prefix = "{registry.Host}"
            insecure = true
            mirrors = ["http://127.0.0.1:9"]
            """));

        var id = await Pull(daemon, $"{registry.Host}/busybox:1");

        Assert.StartsWith("sha256:", id);
    }

    [Fact]
    public async Task PullImage_TlsRegistry_TrustedThroughCaFileOrInsecure()
    {
        await using var registry = await TestRegistry.StartAsync(tls: true);
        await registry.PushBusyboxAsync("busybox:1");
        await using var untrusting = await CriDaemon.StartAsync(output);

        var error = await Assert.ThrowsAsync<RpcException>(() => Pull(untrusting, $"{registry.Host}/busybox:1"));
        Assert.Contains("SSL", error.Status.Detail, StringComparison.OrdinalIgnoreCase);

        await using var trusting = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append($"""
            [[image.registries]]
            prefix = "{registry.Host}"
            ca_file = "{registry.CaFile}"
            """));
        Assert.StartsWith("sha256:", await Pull(trusting, $"{registry.Host}/busybox:1"));

        // insecure with an https:// location: TLS without verification.
        await using var unverified = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(
            $"[[image.registries]]\nprefix = \"{registry.Host}\"\nlocation = \"https://{registry.Host}\"\ninsecure = true\n"));
        Assert.StartsWith("sha256:", await Pull(unverified, $"{registry.Host}/busybox:1"));
    }

    [Fact]
    public async Task PullImage_BasicAuth_NeedsTheRightCredentials()
    {
        await using var registry = await TestRegistry.StartAsync(credentials: "alice:s3cret");
        await registry.PushBusyboxAsync("private:1");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));
        var reference = $"{registry.Host}/private:1";

        var anonymous = await Assert.ThrowsAsync<RpcException>(() => Pull(daemon, reference));
        Assert.Contains("unauthorized", anonymous.Status.Detail);
        await Assert.ThrowsAsync<RpcException>(() => Pull(daemon, reference, new AuthConfig { Username = "alice", Password = "wrong" }));
        Assert.Empty((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);

        Assert.StartsWith("sha256:", await Pull(daemon, reference, new AuthConfig { Username = "alice", Password = "s3cret" }));
        await daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = reference } });
        Assert.StartsWith("sha256:", await Pull(daemon, reference, new AuthConfig { Auth = Convert.ToBase64String("alice:s3cret"u8.ToArray()) }));
    }

    [Fact]
    public async Task PullImage_BearerTokenFlow_CredentialsGoToTheRealmOnly()
    {
        await using var tokens = TestTokenServer.Start(Path.GetTempPath(), "bob:t0ken");
        await using var registry = await TestRegistry.StartAsync(tokenRealm: tokens.Realm, tokenRootCert: tokens.RootCertFile);
        await PushThroughTokenAuthAsync(registry, "bob:t0ken");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));
        var reference = $"{registry.Host}/busybox:1";

        var anonymous = await Assert.ThrowsAsync<RpcException>(() => Pull(daemon, reference));
        Assert.Contains("401", anonymous.Status.Detail);

        var id = await Pull(daemon, reference, new AuthConfig { Username = "bob", Password = "t0ken" });

        Assert.StartsWith("sha256:", id);
        Assert.Contains("Basic ok repository:busybox:pull", tokens.Requests);
        await daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = id } });
        Assert.Equal(id, await Pull(daemon, reference, new AuthConfig { IdentityToken = TestTokenServer.IdentityToken }));
        Assert.Contains("refresh ok repository:busybox:pull", tokens.Requests);
        // The registry saw bearer tokens only, never the password.
        Assert.DoesNotContain(Convert.ToBase64String("bob:t0ken"u8.ToArray()), registry.Log);
    }

    // skopeo speaks the token flow itself when it pushes.
    private static async Task PushThroughTokenAuthAsync(TestRegistry registry, string credentials)
    {
        var build = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(
            Path.Combine(AppContext.BaseDirectory, "../../../../../hack/build-test-image.sh"), ["busybox", $"{registry.Host}/busybox:1"])
        {
            Environment = { ["DEST_CREDS"] = credentials },
            RedirectStandardError = true,
        })!;
        var error = await build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        Assert.True(build.ExitCode == 0, error);
    }

    [Fact]
    public async Task PullImage_ConcurrentPullsOfOneImage_FetchEachBlobOnce()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushRandomAsync("big:1", 12, 3);
        var (config, layers) = await registry.GetImageAsync("big", "1");
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

        var ids = await Task.WhenAll(Pull(daemon, $"{registry.Host}/big:1"), Pull(daemon, $"{registry.Host}/big:1"), Pull(daemon, $"{registry.Host}/big:1"));

        Assert.All(ids, id => Assert.Equal(config, id));
        Assert.Equal(3, layers.Length);
        foreach (var digest in layers.Append(config))
        {
            Assert.Equal(1, registry.CountBlobGets(digest));
        }
    }

    [Fact]
    public async Task PullImage_ConcurrentPullsOfImagesSharingALayer_FetchItOnce()
    {
        var shared = new TarLayer().File("base", new string('b', 100_000)).ToArray();
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushLayersAsync("one:1", [shared, new TarLayer().File("one", "1").ToArray()]);
        await registry.PushLayersAsync("two:1", [shared, new TarLayer().File("two", "2").ToArray()]);
        var (_, one) = await registry.GetImageAsync("one", "1");
        var (_, two) = await registry.GetImageAsync("two", "1");
        Assert.Equal(one[0], two[0]);
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

        await Task.WhenAll(Pull(daemon, $"{registry.Host}/one:1"), Pull(daemon, $"{registry.Host}/two:1"));

        Assert.Equal(1, registry.CountBlobGets(one[0]));
        Assert.Equal(2, (await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images.Count);
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(daemon.Settings.Root, "storage", "layers")).Length);
    }

    [Fact]
    public async Task PullImage_CorruptBlobInRegistry_FailsAndStoresNothing()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:1");
        var (_, layers) = await registry.GetImageAsync("busybox", "1");
        var data = registry.BlobDataPath(layers[0]);
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(data, bytes);
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

        var error = await Assert.ThrowsAsync<RpcException>(() => Pull(daemon, $"{registry.Host}/busybox:1"));

        Assert.Contains("digest mismatch", error.Status.Detail);
        Assert.Empty((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
        AssertStorageEmpty(daemon);
    }

    [Fact]
    public async Task PullImage_BlobSwappedForALayerTheUnpackerRefuses_DigestMismatchReported()
    {
        await using var registry = await TestRegistry.StartAsync();
        // Incompressible content: the genuine blob is larger than the swapped one, so reading stops at its end.
        await registry.PushLayersAsync("swapped:1", [new TarLayer().File("good", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48 * 1024))).ToArray()]);
        var (_, layers) = await registry.GetImageAsync("swapped", "1");
        // Other bytes than the manifest names, and among them an entry the unpacker refuses (an absolute path
        // outside the layer): the blob is reported as the wrong blob, not as a hostile layer.
        using (var gz = new System.IO.Compression.GZipStream(File.Create(registry.BlobDataPath(layers[0])), System.IO.Compression.CompressionLevel.Fastest))
        {
            gz.Write(new TarLayer().File("/tmp/criruntime-swapped-blob/pwned", "x").ToArray());
        }
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

        var error = await Assert.ThrowsAsync<RpcException>(() => Pull(daemon, $"{registry.Host}/swapped:1"));

        output.WriteLine(error.Status.Detail);
        Assert.Matches("(digest|size) mismatch", error.Status.Detail);
        Assert.DoesNotContain("invalid layer", error.Status.Detail);
        Assert.False(Directory.Exists("/tmp/criruntime-swapped-blob"));
        Assert.Empty((await daemon.Images.ListImagesAsync(new ListImagesRequest())).Images);
        AssertStorageEmpty(daemon);
    }

    [Theory]
    [InlineData("busy box")]
    [InlineData("Busybox")]
    [InlineData("busybox:")]
    [InlineData("busybox@sha256:1234")]
    public async Task PullImage_MalformedReference_InvalidArgument(string reference)
    {
        await using var daemon = await CriDaemon.StartAsync(output);

        var error = await Assert.ThrowsAsync<RpcException>(() => Pull(daemon, reference));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    internal static async Task<string> Pull(CriDaemon daemon, string reference, AuthConfig? auth = null) =>
        (await daemon.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = reference }, Auth = auth })).ImageRef;

    internal static void AssertStorageEmpty(CriDaemon daemon)
    {
        var storage = Path.Combine(daemon.Settings.Root, "storage");
        foreach (var dir in new[] { "layers", "images", "tmp", Path.Combine("blobs", "sha256") })
        {
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(storage, dir)));
        }
    }

    private static long LinkCount(string path)
    {
        var info = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%h", path]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(info)!;
        return long.Parse(process.StandardOutput.ReadToEnd().Trim());
    }
}
