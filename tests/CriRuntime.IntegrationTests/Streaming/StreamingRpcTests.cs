using System.Text;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Containers;
using CriRuntime.IntegrationTests.Harness;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Streaming;

/// <summary>
/// ExecSync, Exec, Attach and PortForward through the CRI, against containers the daemon created in real pods,
/// with a kubectl-like client on the returned URLs (SPDY and WebSocket).
/// </summary>
public class StreamingRpcTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    private const string V4 = "v4.channel.k8s.io";
    protected override bool UsesBridgeNetwork => true;

    private async Task<ExecSyncResponse> ExecSyncAsync(string id, long timeout, params string[] cmd) =>
        await Daemon.Runtime.ExecSyncAsync(new ExecSyncRequest { ContainerId = id, Cmd = { cmd }, Timeout = timeout });


    [Fact]
    public async Task ExecSync_OutputAndExitCode_Returned()
    {
        var id = await RunSleeperAsync();
        var r = await ExecSyncAsync(id, 10, "sh", "-c", "echo out; echo err >&2; exit 7");
        Assert.Equal("out\n", r.Stdout.ToStringUtf8());
        Assert.Equal("err\n", r.Stderr.ToStringUtf8());
        Assert.Equal(7, r.ExitCode);
    }

    [Fact]
    public async Task ExecSync_InheritsContainersEnvUserAndCwd()
    {
        var id = await RunSleeperAsync("user", c =>
        {
            c.Envs.Add(new KeyValue { Key = "GREETING", Value = ByteString.CopyFromUtf8("from-config") });
            c.WorkingDir = "/tmp";
            c.Linux.SecurityContext.RunAsUser = new Int64Value { Value = 1234 };
        });
        var r = await ExecSyncAsync(id, 10, "sh", "-c", "echo $GREETING; id -u; pwd");
        Assert.Equal("from-config\n1234\n/tmp\n", r.Stdout.ToStringUtf8());
    }

    [Fact]
    public async Task ExecSync_Timeout_DeadlineExceededAndNoProcessLeft()
    {
        var id = await RunSleeperAsync();
        var marker = "mark" + Guid.NewGuid().ToString("N")[..6];
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<RpcException>(() => ExecSyncAsync(id, 1, "sh", "-c", $"sleep 300 & exec sh -c 'sleep 301; echo {marker}'"));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
        var ps = (await ExecSyncAsync(id, 10, "ps", "-o", "args")).Stdout.ToStringUtf8();
        Assert.DoesNotContain("sleep 30", ps);
        Assert.Contains("sleep 3600", ps);
    }

    /// <summary>Through a client with kubelet's 16 MiB receive limit: the capped response must still arrive.</summary>
    [Fact]
    public async Task ExecSync_17MiBOfOutput_CappedToFitKubeletsMessageLimit()
    {
        var id = await RunSleeperAsync();
        var r = await ExecSyncAsync(id, 60, "sh", "-c", "echo start >&2; head -c 17825792 /dev/zero; echo done >&2; exit 5");
        Assert.Equal(16 * 1024 * 1024 - 16 * 1024, r.Stdout.Length + r.Stderr.Length);
        Assert.True(r.Stdout.Span.IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(5, r.ExitCode);
    }

    [Fact]
    public async Task ExecSync_StoppedOrUnknownContainer_FailedPreconditionOrNotFound()
    {
        var id = await RunSleeperAsync();
        await Daemon.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = 0 });
        var stopped = await Assert.ThrowsAsync<RpcException>(() => ExecSyncAsync(id, 10, "true"));
        Assert.Equal(StatusCode.FailedPrecondition, stopped.StatusCode);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => ExecSyncAsync("0123456789abcdef", 10, "true"));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        var exec = await Assert.ThrowsAsync<RpcException>(() => ExecUrlAsync(id, false, false, true, "true"));
        Assert.Equal(StatusCode.FailedPrecondition, exec.StatusCode);
    }

    [Fact]
    public async Task ExecSync_100Concurrent_NoLeakedProcessesOrFds()
    {
        var id = await RunSleeperAsync();
        // Every process the container's PID namespace holds, zombies included, as "STAT COMMAND" lines.
        async Task<string> ProcessesAsync() =>
            (await ExecSyncAsync(id, 10, "sh", "-c", "ps -o stat,comm > /tmp/ps.$$; grep -v -e ' ps$' -e ' sh$' -e STAT /tmp/ps.$$ | sort; rm /tmp/ps.$$")).Stdout.ToStringUtf8();
        var processes = await ProcessesAsync();
        var before = LeakCheck.Take(Daemon);
        // Each call leaves a child behind for a moment, so that a process not reaped or not killed would show.
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => ExecSyncAsync(id, 60, "sh", "-c", $"sleep 0.2 & echo n{i}")));
        for (var i = 0; i < 100; i++) Assert.Equal($"n{i}\n", results[i].Stdout.ToStringUtf8());
        await Task.Delay(500);
        LeakCheck.Take(Daemon).AssertSameAs(before);
        Assert.Equal(processes, await ProcessesAsync());
        Assert.DoesNotContain("Z", processes);
    }

    [Fact]
    public async Task Exec_InvalidRequests_InvalidArgument()
    {
        var id = await RunSleeperAsync();
        foreach (var request in new[]
        {
            new ExecRequest { ContainerId = id, Stdout = true },
            new ExecRequest { ContainerId = id, Cmd = { "true" } },
            new ExecRequest { ContainerId = id, Cmd = { "true" }, Tty = true, Stdout = true, Stderr = true },
        })
        {
            var e = await Assert.ThrowsAsync<RpcException>(async () => await Daemon.Runtime.ExecAsync(request));
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        }
    }

    [Fact]
    public async Task ExecSpdy_StdinPipedAndFailingCommand_EchoedAndExitCodeInStatus()
    {
        var id = await RunSleeperAsync();
        var r = await StreamingClient.ExecSpdyAsync(await ExecUrlAsync(id, false, true, true, "sh", "-c", "cat; echo err >&2; exit 3"), "piped input\n", stderr: true);
        Assert.Equal(101, r.UpgradeStatus);
        Assert.Equal("piped input\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        Assert.Contains("\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]", r.Error);
    }

    [Fact]
    public async Task ExecWebSocket_Stdin_EchoedWithSuccess()
    {
        var id = await RunSleeperAsync();
        var r = await StreamingClient.ExecWebSocketAsync(await ExecUrlAsync(id, false, true, true, "cat"), "v5.channel.k8s.io", "hello\n");
        Assert.Equal("hello\n", r.Stdout);
        Assert.Equal("{\"metadata\":{},\"status\":\"Success\"}", r.Error);
    }

    [Fact]
    public async Task ExecSpdy_TtyWithResize_SttySizeChanged()
    {
        var id = await RunSleeperAsync();
        var r = await StreamingClient.ExecSpdyAsync(await ExecUrlAsync(id, true, true, false, "sh", "-c", StreamingClient.PrintSttySize), "", stderr: false, tty: true, size: (123, 45));
        Assert.True(r.Stdout.Contains("size:45 123", StringComparison.Ordinal), $"stdout: {r.Stdout}; error stream: {r.Error}");
        Assert.Equal("{\"metadata\":{},\"status\":\"Success\"}", r.Error);
    }

    [Fact]
    public async Task ExecSpdy_TtyInputAndExitCode_EchoedThroughTerminalAndCarried()
    {
        var id = await RunSleeperAsync();
        var url = await ExecUrlAsync(id, true, true, false, "sh", "-c", "read l; echo got-$l; exit 5");
        var r = await StreamingClient.ExecSpdyAsync(url, "abc\n", stderr: false, tty: true, size: (80, 24));
        Assert.Contains("got-abc", r.Stdout);
        Assert.Contains("\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"5\"}]", r.Error);
    }

    [Fact]
    public async Task ExecSpdy_TtyClientDisconnects_ProcessKilled()
    {
        var id = await RunSleeperAsync();
        var marker = $"sleep 3{Random.Shared.Next(100, 999)}";
        var (_, _, c) = await StreamingClient.UpgradeSpdyAsync(await ExecUrlAsync(id, true, true, false, "sh", "-c", marker), V4);
        var reader = c!.RunAsync(CancellationToken.None);
        await StreamingClient.OpenAsync(c, "error", fin: true);
        await StreamingClient.OpenAsync(c, "stdin");
        await StreamingClient.OpenAsync(c, "stdout", fin: true);
        await StreamingClient.OpenAsync(c, "resize");
        await WaitUntilAsync(async () => (await ExecSyncAsync(id, 10, "ps", "-o", "args")).Stdout.ToStringUtf8().Contains(marker), "the exec'd process to start");
        await c.DisposeAsync();
        await WaitUntilAsync(async () => !(await ExecSyncAsync(id, 10, "ps", "-o", "args")).Stdout.ToStringUtf8().Contains(marker), "the exec'd process to be killed");
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(Daemon.Settings.RunRoot, "exec")));
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

    [Fact]
    public async Task AttachSpdy_StdinOnceContainer_InputEchoedThenContainerExits()
    {
        var id = await RunSleeperAsync("cat", c =>
        {
            c.Command.Clear();
            c.Command.Add("cat");
            c.Stdin = true;
            c.StdinOnce = true;
        });
        var url = (await Daemon.Runtime.AttachAsync(new AttachRequest { ContainerId = id, Stdin = true, Stdout = true, Stderr = true })).Url;
        Assert.Contains("/attach/", url);
        var r = await StreamingClient.ExecSpdyAsync(url, "attached input\n", stderr: true);
        Assert.Equal("attached input\n", r.Stdout);
        Assert.Equal("{\"metadata\":{},\"status\":\"Success\"}", r.Error);
        var status = await WaitExitedAsync(id);
        Assert.Equal(0, status.ExitCode);
    }

    [Fact]
    public async Task AttachSpdy_TtyContainer_InputResizeAndDetachLeavesItRunning()
    {
        var id = await RunSleeperAsync("shell", c =>
        {
            c.Command.Clear();
            c.Command.Add("sh");
            c.Stdin = true;
            c.Tty = true;
        });
        var url = (await Daemon.Runtime.AttachAsync(new AttachRequest { ContainerId = id, Stdin = true, Stdout = true, Tty = true })).Url;
        var (status, _, c) = await StreamingClient.UpgradeSpdyAsync(url, V4);
        Assert.Equal(101, status);
        await using (c!)
        {
            var reader = c!.RunAsync(CancellationToken.None);
            await StreamingClient.OpenAsync(c, "error", fin: true);
            var stdin = await StreamingClient.OpenAsync(c, "stdin");
            var stdout = await StreamingClient.OpenAsync(c, "stdout", fin: true);
            var resize = await StreamingClient.OpenAsync(c, "resize");
            await resize.WriteAsync(Encoding.UTF8.GetBytes("{\"Width\":101,\"Height\":41}"));
            // The shell may read the command before the monitor applied the size: ask until the answer shows it.
            var seen = await ReadUntilAsync(stdout, "41 101", () => stdin.WriteAsync(Encoding.UTF8.GetBytes("stty size\n")).AsTask());
            Assert.Contains("41 101", seen);
        }
        await Task.Delay(300);
        Assert.Equal(ContainerState.ContainerRunning, (await StatusAsync(id)).State);
    }

    [Fact]
    public async Task AttachWebSocket_OutputOnly_SeesOutputAndDetachLeavesItRunning()
    {
        var id = await RunSleeperAsync("ticker", c =>
        {
            c.Command.Clear();
            c.Command.Add("sh");
            c.Command.Add("-c");
            c.Command.Add("while true; do echo tick; echo tock >&2; sleep 0.1; done");
        });
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var url = (await Daemon.Runtime.AttachAsync(new AttachRequest { ContainerId = id, Stdout = true, Stderr = true })).Url;
            using var ws = new System.Net.WebSockets.ClientWebSocket();
            ws.Options.AddSubProtocol("v5.channel.k8s.io");
            await ws.ConnectAsync(new Uri(url.Replace("http://", "ws://")), CancellationToken.None);
            var seen = new Dictionary<byte, string> { [1] = "", [2] = "" };
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (!seen[1].Contains("tick") || !seen[2].Contains("tock"))
            {
                var r = await ws.ReceiveAsync(buffer, timeout.Token);
                if (r.Count > 0 && seen.ContainsKey(buffer[0])) seen[buffer[0]] += Encoding.UTF8.GetString(buffer, 1, r.Count - 1);
            }
            ws.Abort();
        }
        await Task.Delay(300);
        Assert.Equal(ContainerState.ContainerRunning, (await StatusAsync(id)).State);
    }

    [Fact]
    public async Task Attach_StdinOnContainerWithoutStdin_InvalidArgument()
    {
        var id = await RunSleeperAsync();
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Daemon.Runtime.AttachAsync(new AttachRequest { ContainerId = id, Stdin = true, Stdout = true }));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task PortForwardSpdy_HttpdInCniPod_AnswersOnPodLoopback()
    {
        var pod = await RunPodAsync("web", c => c.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Pod);
        await RunAsync(pod, BusyboxConfig("httpd", "sh", "-c", "mkdir -p /www; echo hello-from-pod > /www/index.html; exec httpd -f -p 127.0.0.1:8080 -h /www"));
        var body = "";
        for (var attempt = 0; attempt < 25 && !body.Contains("hello-from-pod"); attempt++)
        {
            if (attempt > 0) await Task.Delay(200);
            var url = (await Daemon.Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = pod.Id, Port = { 8080 } })).Url;
            var (_, _, c) = await StreamingClient.UpgradeSpdyAsync(url, "portforward.k8s.io");
            await using var _ = c!;
            var reader = c!.RunAsync(CancellationToken.None);
            var error = await StreamingClient.OpenAsync(c, "error", true, ("port", "8080"), ("requestID", "0"));
            var data = await StreamingClient.OpenAsync(c, "data", false, ("port", "8080"), ("requestID", "0"));
            await data.WriteAsync(Encoding.ASCII.GetBytes("GET /index.html HTTP/1.0\r\n\r\n"));
            body = await StreamingClient.ReadAllAsync(data);
        }
        Assert.Contains("hello-from-pod", body);
        // The pod's own loopback, not the host's: nothing listens on 8080 here.
        Assert.Throws<System.Net.Sockets.SocketException>(() => new System.Net.Sockets.TcpClient().Connect("127.0.0.1", 8080));
    }

    [Fact]
    public async Task PortForwardSpdy_HostNetworkPod_DialsHostLoopback()
    {
        var port = Random.Shared.Next(20000, 30000);
        var pod = await RunPodAsync("hostweb");
        await RunAsync(pod, BusyboxConfig("httpd", "sh", "-c", $"mkdir -p /tmp/www; echo hello-from-host-pod > /tmp/www/index.html; exec httpd -f -p 127.0.0.1:{port} -h /tmp/www"));
        var body = "";
        for (var attempt = 0; attempt < 25 && !body.Contains("hello-from-host-pod"); attempt++)
        {
            if (attempt > 0) await Task.Delay(200);
            var url = (await Daemon.Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = pod.Id, Port = { port } })).Url;
            var (_, _, c) = await StreamingClient.UpgradeSpdyAsync(url, "portforward.k8s.io");
            await using var _ = c!;
            var reader = c!.RunAsync(CancellationToken.None);
            await StreamingClient.OpenAsync(c, "error", true, ("port", port.ToString()), ("requestID", "0"));
            var data = await StreamingClient.OpenAsync(c, "data", false, ("port", port.ToString()), ("requestID", "0"));
            await data.WriteAsync(Encoding.ASCII.GetBytes("GET /index.html HTTP/1.0\r\n\r\n"));
            body = await StreamingClient.ReadAllAsync(data);
        }
        Assert.Contains("hello-from-host-pod", body);
    }

    [Fact]
    public async Task PortForward_UnknownPod_NotFound()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Daemon.Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = "nope", Port = { 80 } }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    /// <summary>Reads until the text appears, calling <paramref name="poke"/> every 200 ms meanwhile.</summary>
    private static async Task<string> ReadUntilAsync(Stream stream, string text, Func<Task> poke)
    {
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        Task<int>? read = null;
        while (!seen.ToString().Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"no \"{text}\" in: {seen}");
            await poke();
            read ??= stream.ReadAsync(buffer).AsTask();
            if (await Task.WhenAny(read, Task.Delay(200)) != read) continue;
            var n = await read;
            read = null;
            if (n == 0) break;
            seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return seen.ToString();
    }
}

/// <summary>The same through runc (conmon and the attach socket are the same; exec goes through runc's own exec).</summary>
public sealed class RuncStreamingRpcTests(ITestOutputHelper output, ContainerImages images) : StreamingRpcTests(output, images)
{
    protected override string Handler => "runc";
}
