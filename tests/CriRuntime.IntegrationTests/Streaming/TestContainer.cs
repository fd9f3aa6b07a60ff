using System.Diagnostics;
using System.Text.Json.Nodes;
using CriRuntime.Configuration;
using CriRuntime.Streaming;

namespace CriRuntime.IntegrationTests.Streaming;

/// <summary>
/// A real busybox container run by criruntime-launch, in a network namespace the test created with
/// <c>ip netns add</c> (loopback only). Disposing deletes the container, the namespace and the bundle.
/// </summary>
public sealed class TestContainer : IAsyncDisposable
{
    private static readonly string Top = FindTop();
    private readonly string _dir;

    private TestContainer(string dir, string id, string netns, RuntimeHandlerOptions runtime, string processJson)
    {
        _dir = dir;
        Id = id;
        NetnsName = netns;
        Runtime = runtime;
        ProcessJson = processJson;
    }

    public string Id { get; }
    public string NetnsName { get; }
    public string NetnsPath => $"/run/netns/{NetnsName}";
    internal RuntimeHandlerOptions Runtime { get; }
    internal string ProcessJson { get; }
    internal ContainerTarget Target => new(Id, Runtime, ProcessJson);
    public string WorkDir => _dir;

    /// <summary>Starts a container whose init runs <paramref name="script"/> with sh.</summary>
    public static async Task<TestContainer> StartAsync(string script)
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var dir = Path.Combine(Path.GetTempPath(), "crist-" + suffix);
        var bundle = Path.Combine(dir, "bundle");
        Directory.CreateDirectory(bundle);
        var id = "st-" + suffix;
        var netns = "st-" + suffix;
        // STREAMING_TEST_RUNTIME=/usr/sbin/runc runs the same tests with runc as the OCI runtime.
        var runtimePath = Environment.GetEnvironmentVariable("STREAMING_TEST_RUNTIME") is { Length: > 0 } other ? other : Path.Combine(Top, "src/launcher/out/criruntime-launch");
        var runtime = new RuntimeHandlerOptions(runtimePath, Path.Combine(dir, "state"));
        await RunAsync("make", "-s", "-C", Path.Combine(Top, "src/launcher"));
        await RunAsync(Path.Combine(Top, "hack/build-test-rootfs.sh"), Path.Combine(bundle, "rootfs"));
        await RunAsync("ip", "netns", "add", netns);
        await RunAsync("ip", "-n", netns, "link", "set", "lo", "up");
        var patch = $"c['process']['args']=['sh','-c',{Quote(script)}]; " +
                    $"c['linux']['namespaces']=[{{'type':t}} for t in ('pid','ipc','uts','mount')]+[{{'type':'network','path':'/run/netns/{netns}'}}]; " +
                    "c['process']['capabilities']={k: c['process']['capabilities'][k]+['CAP_NET_BIND_SERVICE','CAP_SETUID','CAP_SETGID'] for k in c['process']['capabilities']}";
        await RunAsync("python3", Path.Combine(Top, "tests/launcher/mkconfig.py"), Path.Combine(bundle, "config.json"), "/criruntime-streaming-test/" + id, patch);
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "config.json")))!;
        var container = new TestContainer(dir, id, netns, runtime, config["process"]!.ToJsonString());
        try
        {
            // The container inherits the launcher's stdio: give it none of our pipes, or reading them never ends.
            await RunAsync("sh", "-c", "exec \"$0\" --root \"$1\" run --detach --bundle \"$2\" \"$3\" </dev/null >/dev/null", runtime.Path, runtime.Root, bundle, id);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
        return container;
    }

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(Runtime.Path, "--root", Runtime.Root, "delete", "--force", Id);
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            await RunAsync("ip", "netns", "delete", NetnsName);
        }
        catch (InvalidOperationException)
        {
        }
        Directory.Delete(_dir, recursive: true);
    }

    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(timeout.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {p.ExitCode}: {await stderr}{await stdout}");
        return await stdout;
    }

    private static string FindTop()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "CriRuntime.sln"))) dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("no CriRuntime.sln above the test binary");
        return dir;
    }
}
