using System.Net;
using System.Net.Sockets;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Telemetry;

public sealed class MetricsEndpointTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PrometheusEndpoint_ExposesRpcLatencyAndErrors()
    {
        var port = FreeLoopbackPort();
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append($"""
            [telemetry]
            prometheus_listen = "127.0.0.1:{port}"
            """));
        await daemon.Runtime.VersionAsync(new VersionRequest());
        await Assert.ThrowsAsync<RpcException>(async () => await daemon.Runtime.CheckpointContainerAsync(new CheckpointContainerRequest()));

        using var http = new HttpClient();
        // The exporter caches a scrape briefly; ask until the calls above show up.
        string text = "";
        for (var i = 0; i < 50 && !text.Contains("CheckpointContainer"); i++)
        {
            text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
            if (!text.Contains("CheckpointContainer")) await Task.Delay(100);
        }

        Assert.Contains("criruntime_rpc_duration_seconds_bucket", text);
        Assert.Contains("runtime.v1.RuntimeService/Version", text);
        Assert.Contains(text.Split('\n'), line => line.StartsWith("criruntime_rpc_errors_total{", StringComparison.Ordinal)
            && line.Contains("rpc_method=\"runtime.v1.RuntimeService/CheckpointContainer\"")
            && line.Contains("rpc_grpc_status_code=\"Unimplemented\"") && line.EndsWith(" 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MetricsOff_ByDefault_NoTcpListener()
    {
        await using var daemon = await CriDaemon.StartAsync(output);

        var socketInodes = Directory.GetFiles($"/proc/{daemon.Pid}/fd").Select(f => new FileInfo(f).LinkTarget ?? "").ToHashSet();
        var listeners = File.ReadAllLines("/proc/net/tcp").Concat(File.ReadAllLines("/proc/net/tcp6"))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 9 && f[3] == "0A" && socketInodes.Contains($"socket:[{f[9]}]"));

        // The streaming server (exec/port-forward, api.stream_address 127.0.0.1 by default) is the only TCP listener.
        var only = Assert.Single(listeners);
        Assert.StartsWith("0100007F:", only[1], StringComparison.Ordinal);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
