using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;
using static CriRuntime.IntegrationTests.Images.PullImageTests;

namespace CriRuntime.IntegrationTests.Images;

public sealed class LayerUnpackTests(ITestOutputHelper output)
{
    public static TheoryData<string> EscapeTricks => new() { "dotdot", "absolute", "symlink-dir", "symlink-relative", "hardlink" };

    [Theory]
    [MemberData(nameof(EscapeTricks))]
    public async Task PullImage_LayerEscapingItsDirectory_FailsAndWritesNothingOutside(string trick)
    {
        var outside = Directory.CreateTempSubdirectory("criruntime-outside-").FullName;
        try
        {
            var layer = trick switch
            {
                "dotdot" => new TarLayer().File("ok", "x").File($"../../../../../../../..{outside}/pwned", "x"),
                "absolute" => new TarLayer().File($"{outside}/pwned", "x"),
                "symlink-dir" => new TarLayer().Symlink("link", outside).File("link/pwned", "x"),
                "symlink-relative" => new TarLayer().Dir("a").Symlink("a/up", "../../../../../../../../../..").File($"a/up{outside}/pwned", "x"),
                _ => new TarLayer().HardLink("h", $"../../../../../../../..{outside}/target"),
            };
            File.WriteAllText(Path.Combine(outside, "target"), "keep");
            await using var registry = await TestRegistry.StartAsync();
            await registry.PushLayersAsync("evil:1", [layer.ToArray()]);
            await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

            var error = await Assert.ThrowsAsync<RpcException>(() => Pull(daemon, $"{registry.Host}/evil:1"));

            Assert.Contains("invalid layer", error.Status.Detail);
            Assert.Equal(["target"], Directory.EnumerateFileSystemEntries(outside).Select(Path.GetFileName));
            Assert.Equal("keep", File.ReadAllText(Path.Combine(outside, "target")));
            AssertStorageEmpty(daemon);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task PullImage_WhiteoutsAndOpaqueDirs_MergeRightUnderOverlayfs()
    {
        var lower = new TarLayer().File("gone", "1").Dir("d").File("d/x", "x").File("d/y", "y").Dir("o").File("o/p", "p")
            .File("keep", "k").ToArray();
        var upper = new TarLayer().File(".wh.gone").Dir("d").File("d/.wh.x").Dir("o").File("o/.wh..wh..opq").File("o/q", "q").ToArray();
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushLayersAsync("layered:1", [lower, upper]);
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));
        await Pull(daemon, $"{registry.Host}/layered:1");
        var lowerId = Sha256(lower);
        var upperChain = Sha256(Encoding.ASCII.GetBytes(lowerId + " " + Sha256(upper)));
        var layers = Path.Combine(daemon.Settings.Root, "storage", "layers");
        var merged = Path.Combine(daemon.Settings.Dir, "merged");
        Directory.CreateDirectory(merged);

        Run("mount", "-t", "overlay", "overlay", "-o",
            $"lowerdir={layers}/{upperChain[7..]}/diff:{layers}/{lowerId[7..]}/diff", merged);
        try
        {
            Assert.Equal(["d", "keep", "o"], Directory.EnumerateFileSystemEntries(merged).Select(Path.GetFileName).Order());
            Assert.Equal(["y"], Directory.EnumerateFileSystemEntries(Path.Combine(merged, "d")).Select(Path.GetFileName));
            Assert.Equal(["q"], Directory.EnumerateFileSystemEntries(Path.Combine(merged, "o")).Select(Path.GetFileName));
        }
        finally
        {
            Run("umount", merged);
        }
    }

    [Fact]
    public async Task PullImage_ZstdAndUncompressedLayers_Unpacked()
    {
        var zstd = new TarLayer().File("from-zstd", "z").ToArray();
        var plain = new TarLayer().File("from-tar", "t").ToArray();
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushLayersAsync("kinds:1", [zstd, plain], compression: ["zstd", "none"]);
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append(registry.InsecureToml));

        await Pull(daemon, $"{registry.Host}/kinds:1");

        var layers = Path.Combine(daemon.Settings.Root, "storage", "layers");
        var top = Sha256(Encoding.ASCII.GetBytes(Sha256(zstd) + " " + Sha256(plain)));
        Assert.Equal("z", File.ReadAllText(Path.Combine(layers, Sha256(zstd)[7..], "diff", "from-zstd")));
        Assert.Equal("t", File.ReadAllText(Path.Combine(layers, top[7..], "diff", "from-tar")));
    }

    private static string Sha256(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }
}
