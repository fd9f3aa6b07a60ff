using System.Diagnostics;
using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Containers;
using CriRuntime.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Streaming;

/// <summary>
/// Exec and PortForward URLs from the CRI, used by a client made of moby/spdystream, the SPDY library kubelet,
/// kubectl and crictl are built on (Streaming/SpdyGoClient): the other tests' client shares our SPDY code, so a
/// mistake on both sides would pass there and fail here.
/// </summary>
public class SpdystreamClientTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    protected override bool UsesBridgeNetwork => true;

    private sealed record ExecOutput(string Protocol, string Stdout, string Stderr, string Error);

    private sealed record ForwardOutput(string[] Responses, string[] Errors);


    [Fact]
    public async Task Exec_StdinStdoutStderrAndExitCode_CarriedLikeKubectl()
    {
        var id = await RunSleeperAsync();
        var r = await RunClientAsync<ExecOutput>("exec", await ExecUrlAsync(id, false, true, true, "sh", "-c", "cat; echo err >&2; exit 3"),
            "-stdin", "from spdystream\n", "-stderr");
        Assert.Equal("v4.channel.k8s.io", r.Protocol);
        Assert.Equal("from spdystream\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        Assert.Contains("\"reason\":\"NonZeroExitCode\"", r.Error);
        Assert.Contains("\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]", r.Error);
    }

    [Fact]
    public async Task Exec_TtyWithResize_SizeAndInputReachTheTerminal()
    {
        var id = await RunSleeperAsync();
        var url = await ExecUrlAsync(id, true, true, false, "sh", "-c", StreamingClient.PrintSttySize + "; read line; echo got:$line");
        var r = await RunClientAsync<ExecOutput>("exec", url, "-stdin", "typed\n", "-tty", "-width", "101", "-height", "41");
        Assert.True(r.Stdout.Contains("size:41 101", StringComparison.Ordinal), $"stdout: {r.Stdout}; error stream: {r.Error}");
        Assert.Contains("got:typed", r.Stdout);
        Assert.Equal("{\"metadata\":{},\"status\":\"Success\"}", r.Error);
    }

    [Theory]
    [InlineData("v3.channel.k8s.io")]
    [InlineData("v2.channel.k8s.io")]
    [InlineData("channel.k8s.io")]
    public async Task Exec_OlderProtocol_StreamsSeparateAndExitCodeAsText(string protocol)
    {
        var id = await RunSleeperAsync();
        var r = await RunClientAsync<ExecOutput>("exec", await ExecUrlAsync(id, false, false, true, "sh", "-c", "echo out; echo err >&2; exit 2"),
            "-protocols", protocol, "-stderr");
        Assert.Equal(protocol, r.Protocol);
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        Assert.Contains("exit status 2", r.Error);
    }

    [Fact]
    public async Task Exec_V3Tty_ResizeStreamApplied()
    {
        var id = await RunSleeperAsync();
        var r = await RunClientAsync<ExecOutput>("exec", await ExecUrlAsync(id, true, true, false, "sh", "-c", StreamingClient.PrintSttySize),
            "-protocols", "v3.channel.k8s.io", "-with-stdin", "-tty", "-width", "99", "-height", "33");
        Assert.True(r.Stdout.Contains("size:33 99", StringComparison.Ordinal), $"stdout: {r.Stdout}; error stream: {r.Error}");
        Assert.Equal("", r.Error);
    }

    [Fact]
    public async Task PortForward_SeveralStreamsOnOneConnection_EachAnswered()
    {
        var pod = await RunPodAsync("spdy-web", c => c.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Pod);
        await RunAsync(pod, BusyboxConfig("httpd", "sh", "-c", "mkdir -p /www; echo hello-spdystream > /www/index.html; exec httpd -f -p 127.0.0.1:8080 -h /www"));
        ForwardOutput? r = null;
        // httpd may not listen yet when the container has just started.
        for (var attempt = 0; attempt < 25 && (r is null || !r.Responses.All(b => b.Contains("hello-spdystream"))); attempt++)
        {
            if (attempt > 0) await Task.Delay(200);
            var url = (await Daemon.Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = pod.Id, Port = { 8080 } })).Url;
            r = await RunClientAsync<ForwardOutput>("portforward", url, "-port", "8080", "-streams", "3", "-send", "GET /index.html HTTP/1.0\r\n\r\n");
        }
        Assert.Equal(3, r!.Responses.Length);
        Assert.All(r.Responses, b => Assert.Contains("hello-spdystream", b));
        Assert.All(r.Errors, Assert.Empty);
    }

    [Fact]
    public async Task PortForward_ClosedPort_ErrorStreamNamesThePort()
    {
        var pod = await RunPodAsync("spdy-closed", c => c.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Pod);
        var url = (await Daemon.Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = pod.Id, Port = { 9 } })).Url;
        var r = await RunClientAsync<ForwardOutput>("portforward", url, "-port", "9", "-send", "x");
        Assert.Equal("", r.Responses[0]);
        Assert.Contains("9", r.Errors[0]);
        Assert.Contains("refused", r.Errors[0], StringComparison.OrdinalIgnoreCase);
    }

    private async Task<T> RunClientAsync<T>(params string[] args)
    {
        var binary = await GoProgram.BuildAsync(Path.Combine("Streaming", "SpdyGoClient", "main.go"), "golang-github-docker-spdystream-dev", Output);
        var info = new ProcessStartInfo(binary, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"spdy-client {string.Join(' ', args)}: exit {process.ExitCode}: {await stderr}");
        return JsonSerializer.Deserialize<T>(await stdout, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
    }
}
