using System.Diagnostics;
using System.Net.Sockets;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Hosting;

public sealed class DaemonLifecycleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Socket_IsCreatedWithMode0660()
    {
        await using var daemon = await CriDaemon.StartAsync(output);

        var mode = File.GetUnixFileMode(daemon.Socket);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, mode);
    }

    [Fact]
    public async Task SecondDaemonOnSameSocket_FailsWithExitCode1_FirstKeepsServing()
    {
        await using var first = await CriDaemon.StartAsync(output);
        var config = first.Settings.WriteConfig();

        var (exitCode, text) = await DaemonProcess.RunAsync("--config", config);

        Assert.Equal(1, exitCode);
        Assert.Contains("already serving", text);
        Assert.Contains(first.Socket, text);
        var version = await first.Runtime.VersionAsync(new VersionRequest());
        Assert.Equal("criruntime", version.RuntimeName);
    }

    [Fact]
    public async Task StaleSocketFile_IsReplaced()
    {
        var settings = DaemonSettings.InTempDir();
        // A socket file nobody listens on, as a crashed daemon leaves it. (.NET's Socket unlinks the file it
        // bound on Dispose, so let a process that does not do that create it.)
        Process.Start("python3", ["-c", $"import socket; socket.socket(socket.AF_UNIX).bind('{settings.Socket}')"])!.WaitForExit();
        Assert.True(File.Exists(settings.Socket));

        await using var daemon = await CriDaemon.StartAsync(output, s => s.Socket = settings.Socket);

        Assert.Equal("criruntime", (await daemon.Runtime.VersionAsync(new VersionRequest())).RuntimeName);
        settings.Delete();
    }

    [Fact]
    public async Task Sigterm_ExitsCleanlyWithinFiveSeconds()
    {
        await using var daemon = await CriDaemon.StartAsync(output);
        await daemon.Runtime.VersionAsync(new VersionRequest());

        var watch = Stopwatch.StartNew();
        var exitCode = await daemon.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(0, exitCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task NotifySocket_ReceivesReadyOnceServingAndStoppingOnSigterm()
    {
        var dir = Directory.CreateTempSubdirectory("criruntime-notify-").FullName;
        var notifyPath = Path.Combine(dir, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));

        await using var daemon = await CriDaemon.StartAsync(output, s => s.Environment["NOTIFY_SOCKET"] = notifyPath);
        var ready = await ReceiveAsync(notify);
        await daemon.StopAsync();
        var stopping = await ReceiveAsync(notify);

        Assert.Equal("READY=1", ready);
        Assert.Equal("STOPPING=1", stopping);
        Directory.Delete(dir, recursive: true);
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public async Task BadConfigValue_ExitsWithCode2NamingTheKey()
    {
        var settings = DaemonSettings.InTempDir();
        var config = settings.WriteConfig();

        var (exitCode, text) = await DaemonProcess.RunAsync("--config", config, "--set", "api.stream_port=70000");

        Assert.Equal(2, exitCode);
        Assert.Contains("api.stream_port", text);
        settings.Delete();
    }

    [Fact]
    public async Task UnknownKeyInConfigFile_ExitsWithCode2NamingTheKey()
    {
        var settings = DaemonSettings.InTempDir();
        settings.ExtraToml.Append("[telemetry]\nprometheus_lisen = \"127.0.0.1:1\"\n");
        var config = settings.WriteConfig();

        var (exitCode, text) = await DaemonProcess.RunAsync("--config", config);

        Assert.Equal(2, exitCode);
        Assert.Contains("telemetry.prometheus_lisen", text);
        settings.Delete();
    }

    [Fact]
    public async Task ConfigCommand_PrintsEffectiveConfigAsToml()
    {
        var (exitCode, text) = await DaemonProcess.RunAsync("config", "--root", "/tmp/somewhere", "--cni-plugin-dir", "/a", "--cni-plugin-dir", "/b");

        Assert.Equal(0, exitCode);
        Assert.Contains("root = \"/tmp/somewhere\"", text);
        Assert.Contains("cni_plugin_dirs = [\"/a\", \"/b\"]", text);
        Assert.Contains("[api]", text);
    }
}
