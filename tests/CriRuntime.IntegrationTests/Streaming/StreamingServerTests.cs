using System.Net.Sockets;
using System.Text;
using CriRuntime.Configuration;
using CriRuntime.Errors;
using CriRuntime.Streaming;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriRuntime.IntegrationTests.Streaming;

/// <summary>
/// The streaming server in-process, against real containers run by criruntime-launch; clients speak SPDY and
/// WebSocket as kubectl/crictl do: the protocol details. The CRI RPCs on daemon containers are StreamingRpcTests.
/// Runs alone: its leak checks count the test process's children and fds.
/// </summary>
[CollectionDefinition("streaming", DisableParallelization = true)]
public sealed class StreamingCollection;

[Collection("streaming")]
public sealed class StreamingServerTests : IAsyncLifetime
{
    private TestContainer _container = null!;
    private StreamingServer _server = null!;
    private StreamingService _service = null!;
    private StreamingTokens _tokens = null!;
    private DaemonOptions _options = null!;

    public async Task InitializeAsync()
    {
        _container = await TestContainer.StartAsync("mkdir -p /www; echo hello-from-pod > /www/index.html; exec httpd -f -p 127.0.0.1:8080 -h /www");
        _options = new DaemonOptions { RunRoot = Path.Combine(_container.WorkDir, "run"), Api = new ApiOptions { StreamPort = 0, StreamIdleTimeout = TimeSpan.FromSeconds(30) } };
        _tokens = new StreamingTokens(TimeProvider.System, StreamingTokens.DefaultLifetime);
        _server = new StreamingServer(_options.Api, _tokens, new OciExecBackend(_options), new MonitorAttachBackend(new CriRuntime.Runtime.ConmonMonitor(_options, NullLogger<CriRuntime.Runtime.ConmonMonitor>.Instance)), new NetnsPortDialer(), NullLogger<StreamingServer>.Instance);
        await _server.StartAsync(CancellationToken.None);
        _service = new StreamingService(_server, _tokens);
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
        await _container.DisposeAsync();
    }

    private string ExecUrl(bool tty, bool stdin, bool stderr, params string[] cmd) =>
        _service.CreateExecUrl(new ExecSpec(_container.Target, cmd, tty, stdin, true, stderr));

    [Fact]
    public async Task ExecSpdy_StdinPiped_EchoedBackWithSuccessStatus()
    {
        var r = await StreamingClient.ExecSpdyAsync(ExecUrl(false, true, true, "sh", "-c", "cat; echo err >&2"), "piped input\n", stderr: true);
        Assert.Equal(101, r.UpgradeStatus);
        Assert.Equal("piped input\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        Assert.Equal("{\"metadata\":{},\"status\":\"Success\"}", r.Error);
    }

    [Fact]
    public async Task ExecSpdy_FailingCommand_ExitCodeInStatus()
    {
        var r = await StreamingClient.ExecSpdyAsync(ExecUrl(false, false, true, "sh", "-c", "exit 3"), null, stderr: true);
        Assert.Contains("\"status\":\"Failure\"", r.Error);
        Assert.Contains("\"reason\":\"NonZeroExitCode\"", r.Error);
        Assert.Contains("\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]", r.Error);
    }

    [Fact]
    public async Task ExecSpdyV1_FailingCommand_TextError()
    {
        var r = await StreamingClient.ExecSpdyAsync(ExecUrl(false, false, true, "sh", "-c", "echo out; exit 2"), null, stderr: true, protocol: "channel.k8s.io");
        Assert.Equal("out\n", r.Stdout);
        Assert.Contains("exit status 2", r.Error);
    }

    [Fact]
    public async Task ExecSpdy_Tty_ResizeChangesSttySize()
    {
        var url = ExecUrl(true, true, false, "sh", "-c", StreamingClient.PrintSttySize);
        var r = await StreamingClient.ExecSpdyAsync(url, "", stderr: false, tty: true, size: (123, 45));
        Assert.True(r.Stdout.Contains("size:45 123", StringComparison.Ordinal), $"stdout: {r.Stdout}; error stream: {r.Error}");
        Assert.Equal("{\"metadata\":{},\"status\":\"Success\"}", r.Error);
    }

    [Fact]
    public async Task ExecSpdy_TtyInput_EchoedThroughTerminal()
    {
        var url = ExecUrl(true, true, false, "sh", "-c", "read line; echo got:$line");
        var r = await StreamingClient.ExecSpdyAsync(url, "hello\n", stderr: false, tty: true, size: (80, 24));
        Assert.True(r.Stdout.Contains("got:hello", StringComparison.Ordinal), $"stdout: {r.Stdout}; error stream: {r.Error}");
        Assert.Equal("{\"metadata\":{},\"status\":\"Success\"}", r.Error);
    }

    [Fact]
    public async Task ExecSpdy_ContainerGone_InternalErrorStatusWithRuntimeMessage()
    {
        var url = _service.CreateExecUrl(new ExecSpec(_container.Target with { Id = "no-such-container" }, ["true"], false, false, true, true));
        var r = await StreamingClient.ExecSpdyAsync(url, null, stderr: true);
        Assert.Contains("\"reason\":\"InternalError\"", r.Error);
        Assert.Contains("no-such-container", r.Error);
    }

    [Fact]
    public async Task ExecSpdy_UnsupportedProtocol_Forbidden()
    {
        var (status, head, c) = await StreamingClient.UpgradeSpdyAsync(ExecUrl(false, false, true, "true"), "v9.channel.k8s.io");
        Assert.Null(c);
        Assert.Equal(403, status);
        Assert.Contains("X-Accepted-Stream-Protocol-Versions: v4.channel.k8s.io", head);
    }

    [Fact]
    public async Task Exec_TokenReused_NotFound()
    {
        var url = ExecUrl(false, false, true, "true");
        var first = await StreamingClient.ExecSpdyAsync(url, null, stderr: true);
        Assert.Equal(101, first.UpgradeStatus);
        var (status, _, _) = await StreamingClient.UpgradeSpdyAsync(url, "v4.channel.k8s.io");
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Exec_TokenExpired_NotFound()
    {
        var time = new ManualTime();
        var tokens = new StreamingTokens(time, TimeSpan.FromMinutes(1));
        await using var server = new StreamingServer(_options.Api, tokens, new OciExecBackend(_options), new MonitorAttachBackend(new CriRuntime.Runtime.ConmonMonitor(_options, NullLogger<CriRuntime.Runtime.ConmonMonitor>.Instance)), new NetnsPortDialer(), NullLogger<StreamingServer>.Instance);
        await server.StartAsync(CancellationToken.None);
        var url = new StreamingService(server, tokens).CreateExecUrl(new ExecSpec(_container.Target, ["true"], false, false, true, true));
        time.Advance(TimeSpan.FromSeconds(61));
        var (status, _, _) = await StreamingClient.UpgradeSpdyAsync(url, "v4.channel.k8s.io");
        Assert.Equal(404, status);
        await server.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ExecSpdy_ClientDisconnects_ProcessKilled()
    {
        var marker = $"sleep 3{Random.Shared.Next(10, 99)}";
        var (_, _, c) = await StreamingClient.UpgradeSpdyAsync(ExecUrl(false, false, true, "sh", "-c", marker), "v4.channel.k8s.io");
        var reader = c!.RunAsync(CancellationToken.None);
        await StreamingClient.OpenAsync(c, "error", fin: true);
        await StreamingClient.OpenAsync(c, "stdout", fin: true);
        await StreamingClient.OpenAsync(c, "stderr", fin: true);
        await WaitUntilAsync(async () => (await TestContainer.RunAsync("ps", "-eo", "args")).Contains(marker), "the exec'd process to start");
        await c.DisposeAsync();
        await WaitUntilAsync(async () => !(await TestContainer.RunAsync("ps", "-eo", "args")).Contains(marker), "the exec'd process to be killed");
    }

    [Fact]
    public async Task ExecWebSocket_IdleTimeout_SessionClosedAndProcessKilled()
    {
        var api = _options.Api with { StreamIdleTimeout = TimeSpan.FromSeconds(1) };
        await using var server = new StreamingServer(api, _tokens, new OciExecBackend(_options), new MonitorAttachBackend(new CriRuntime.Runtime.ConmonMonitor(_options, NullLogger<CriRuntime.Runtime.ConmonMonitor>.Instance)), new NetnsPortDialer(), NullLogger<StreamingServer>.Instance);
        await server.StartAsync(CancellationToken.None);
        var marker = $"sleep 4{Random.Shared.Next(10, 99)}";
        var url = new StreamingService(server, _tokens).CreateExecUrl(new ExecSpec(_container.Target, ["sh", "-c", marker], false, true, true, true));
        var started = DateTime.UtcNow;
        var r = await StreamingClient.ExecWebSocketAsync(url, "v5.channel.k8s.io", stdin: null);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.Contains("idle timeout", r.Error);
        await WaitUntilAsync(async () => !(await TestContainer.RunAsync("ps", "-eo", "args")).Contains(marker), "the exec'd process to be killed");
        await server.StopAsync(CancellationToken.None);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail($"timed out waiting for {what}");
    }

    [Theory]
    [InlineData("v5.channel.k8s.io")]
    [InlineData("v4.channel.k8s.io")]
    public async Task ExecWebSocket_Stdin_EchoedAndExitCode(string protocol)
    {
        var cmd = protocol.StartsWith("v5", StringComparison.Ordinal) ? "cat; exit 4" : "head -c 6; exit 4";
        var r = await StreamingClient.ExecWebSocketAsync(ExecUrl(false, true, true, "sh", "-c", cmd), protocol, "hello\n");
        Assert.Equal("hello\n", r.Stdout);
        Assert.Contains("\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"4\"}]", r.Error);
    }

    [Fact]
    public async Task PortForwardSpdy_HttpdInPodNetns_Answers()
    {
        var url = _service.CreatePortForwardUrl(new PortForwardSpec("pod", _container.NetnsPath, [8080]));
        var (status, _, c) = await StreamingClient.UpgradeSpdyAsync(url, "portforward.k8s.io");
        Assert.Equal(101, status);
        await using var _ = c!;
        var reader = c!.RunAsync(CancellationToken.None);
        var body = await WaitForHttpAsync(async attempt =>
        {
            var id = attempt.ToString();
            var error = await StreamingClient.OpenAsync(c, "error", true, ("port", "8080"), ("requestID", id));
            var data = await StreamingClient.OpenAsync(c, "data", false, ("port", "8080"), ("requestID", id));
            await data.WriteAsync(Encoding.ASCII.GetBytes("GET /index.html HTTP/1.0\r\n\r\n"));
            var response = await StreamingClient.ReadAllAsync(data);
            return (response, await StreamingClient.ReadAllAsync(error));
        });
        Assert.Contains("hello-from-pod", body);
    }

    [Fact]
    public async Task PortForwardSpdy_ClosedPort_ErrorStream()
    {
        var url = _service.CreatePortForwardUrl(new PortForwardSpec("pod", _container.NetnsPath, [9]));
        var (_, _, c) = await StreamingClient.UpgradeSpdyAsync(url, "portforward.k8s.io");
        await using var _ = c!;
        var reader = c!.RunAsync(CancellationToken.None);
        var error = await StreamingClient.OpenAsync(c, "error", true, ("port", "9"), ("requestID", "0"));
        var data = await StreamingClient.OpenAsync(c, "data", false, ("port", "9"), ("requestID", "0"));
        Assert.Contains("error forwarding port 9", await StreamingClient.ReadAllAsync(error));
    }

    [Theory]
    [InlineData("v5.channel.k8s.io")]
    [InlineData("v4.channel.k8s.io")]
    public async Task ExecWebSocket_TtyWithResize_SizeAppliedAndStderrMerged(string protocol)
    {
        var url = ExecUrl(true, true, false, "sh", "-c", StreamingClient.PrintSttySize + "; echo to-stderr >&2");
        var r = await StreamingClient.ExecWebSocketAsync(url, protocol, "", size: (77, 22));
        Assert.True(r.Stdout.Contains("size:22 77", StringComparison.Ordinal), $"stdout: {r.Stdout}; error: {r.Error}");
        // A terminal has one output: stderr arrives on the stdout channel.
        Assert.Contains("to-stderr", r.Stdout);
        Assert.Equal("", r.Stderr);
        Assert.Contains("\"status\":\"Success\"", r.Error);
    }

    [Fact]
    public async Task PortForwardWebSocket_HttpdInPodNetns_PortPrefixThenData()
    {
        var body = await WaitForHttpAsync(async _ =>
        {
            var url = _service.CreatePortForwardUrl(new PortForwardSpec("pod", _container.NetnsPath, [8080]));
            using var ws = new System.Net.WebSockets.ClientWebSocket();
            ws.Options.AddSubProtocol("v4.channel.k8s.io");
            await ws.ConnectAsync(new Uri(url.Replace("http://", "ws://") + "?port=8080"), CancellationToken.None);
            var buffer = new byte[65536];
            var first = await ws.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal(new byte[] { 0, 8080 & 0xff, 8080 >> 8 }, buffer[..first.Count]);
            await ws.SendAsync((byte[])[0, .. Encoding.ASCII.GetBytes("GET /index.html HTTP/1.0\r\n\r\n")], System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);
            var data = new StringBuilder();
            var errors = new StringBuilder();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, timeout.Token);
                if (r.MessageType == System.Net.WebSockets.WebSocketMessageType.Close) break;
                var text = Encoding.ASCII.GetString(buffer, 1, r.Count - 1);
                (buffer[0] == 0 ? data : errors).Append(text);
                if (data.ToString().Contains("hello-from-pod")) break;
            }
            return (data.ToString(), errors.ToString());
        });
        Assert.Contains("hello-from-pod", body);
    }

    /// <summary>httpd may still be starting; retry a few times while the error stream says connection refused.</summary>
    private static async Task<string> WaitForHttpAsync(Func<int, Task<(string Body, string Error)>> attempt)
    {
        var last = ("", "");
        for (var i = 0; i < 20; i++)
        {
            last = await attempt(i);
            if (last.Item1.Contains("hello-from-pod")) return last.Item1;
            await Task.Delay(200);
        }
        Assert.Fail($"no answer from httpd: body '{last.Item1}', error '{last.Item2}'");
        return "";
    }

    [Fact]
    public async Task ExecSync_EchoAndExitCode_Returned()
    {
        var r = await new ExecSyncRunner(_options).RunAsync(_container.Target, ["sh", "-c", "echo out; echo err >&2; exit 7"], TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal("out\n", Encoding.UTF8.GetString(r.Stdout));
        Assert.Equal("err\n", Encoding.UTF8.GetString(r.Stderr));
        Assert.Equal(7, r.ExitCode);
    }

    [Fact]
    public async Task ExecSync_Timeout_KilledWithNoProcessLeft()
    {
        var marker = "sleepmark" + Guid.NewGuid().ToString("N")[..6];
        // ps lists the whole host: durations no other process on it uses
        var background = $"sleep {Random.Shared.Next(50000, 59999)}";
        var foreground = $"sleep {Random.Shared.Next(60000, 69999)}";
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<DeadlineExceededException>(() => new ExecSyncRunner(_options).RunAsync(_container.Target,
            ["sh", "-c", $"{background} & exec sh -c '{foreground}; echo {marker}'"], TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8));
        await Task.Delay(300);
        var ps = await TestContainer.RunAsync("ps", "-eo", "args");
        Assert.DoesNotContain(marker, ps);
        Assert.DoesNotContain(foreground, ps);
        Assert.DoesNotContain(background, ps);
    }

    [Fact]
    public async Task ExecSync_DeadlineBeforeThePidFile_ProcessStillKilled()
    {
        // Deadlines from 1 ms up land before, during and just after the runtime writes its pid file.
        var seconds = new List<int>();
        foreach (var ms in new[] { 1, 2, 3, 4, 6, 8, 10, 13, 16, 20, 25, 30, 40 })
        {
            var s = Random.Shared.Next(40000, 49999);
            seconds.Add(s);
            try
            {
                await new ExecSyncRunner(_options).RunAsync(_container.Target, ["sleep", s.ToString()], TimeSpan.FromMilliseconds(ms), CancellationToken.None);
            }
            catch (Exception e) when (e is DeadlineExceededException or OperationFailedException)
            {
                // Killed before or after the exec started; either way nothing may be left.
            }
        }
        await Task.Delay(300);
        var ps = await TestContainer.RunAsync("ps", "-eo", "args");
        Assert.All(seconds, s => Assert.DoesNotContain($"sleep {s}", ps));
    }

    [Fact]
    public async Task ExecSync_HugeOutput_CappedAt16MiB()
    {
        var r = await new ExecSyncRunner(_options).RunAsync(_container.Target, ["sh", "-c", "head -c 20000000 /dev/zero; echo done >&2"], TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Equal(ExecSyncRunner.MaxResponseOutput, r.Stdout.Length);
        Assert.True(r.StdoutTruncated);
        // Stdout filled the response; stderr had no room left.
        Assert.Empty(r.Stderr);
        Assert.True(r.StderrTruncated);
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public async Task ExecSync_100Concurrent_NoLeakedProcessesOrFds()
    {
        var fdsBefore = OpenFds();
        var runner = new ExecSyncRunner(_options);
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => runner.RunAsync(_container.Target, ["echo", $"n{i}"], TimeSpan.FromSeconds(60), CancellationToken.None)));
        for (var i = 0; i < 100; i++) Assert.Equal($"n{i}\n", Encoding.UTF8.GetString(results[i].Stdout));
        // Pipes are closed by Dispose, not by the finalizer; a collection must not be what brings the count back.
        await Task.Delay(500);
        var leaked = OpenFds().Except(fdsBefore).ToList();
        Assert.True(leaked.Count <= 5, $"{leaked.Count} fds more than before: {string.Join(", ", leaked.Take(20))}");
        var children = Directory.EnumerateDirectories("/proc").Count(d => File.Exists(Path.Combine(d, "stat")) && ParentIs(d, Environment.ProcessId));
        Assert.Equal(0, children);
        Assert.Empty(Directory.Exists(Path.Combine(_options.RunRoot, "exec")) ? Directory.GetDirectories(Path.Combine(_options.RunRoot, "exec")) : []);
    }

    private static List<string> OpenFds() =>
        Directory.GetFiles("/proc/self/fd").Select(f => { try { return $"{Path.GetFileName(f)}->{new FileInfo(f).LinkTarget}"; } catch (IOException) { return ""; } }).Where(f => f.Length > 0).ToList();

    private static bool ParentIs(string procDir, int pid)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(procDir, "stat"));
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1] == pid.ToString();
        }
        catch (IOException)
        {
            return false;
        }
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;
        public void Advance(TimeSpan by) => _now += by;
        public override DateTimeOffset GetUtcNow() => _now;
    }
}
