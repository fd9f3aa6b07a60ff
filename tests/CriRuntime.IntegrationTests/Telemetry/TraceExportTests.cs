using System.Net;
using System.Net.Sockets;
using System.Text;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Telemetry;

public sealed class TraceExportTests(ITestOutputHelper output)
{
    [Fact]
    public async Task OtlpHttp_ExportsOneSpanPerRpcWithPodIdAttribute()
    {
        var port = FreeLoopbackPort();
        using var receiver = new HttpListener();
        receiver.Prefixes.Add($"http://127.0.0.1:{port}/");
        receiver.Start();
        var traces = new MemoryStream();
        var receiving = ReceiveTracesAsync(receiver, traces);

        await using (var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append($"""
            [telemetry]
            otlp_endpoint = "http://127.0.0.1:{port}"
            otlp_protocol = "http/protobuf"
            """)))
        {
            await daemon.Runtime.VersionAsync(new VersionRequest());
            try
            {
                await daemon.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = "pod-4711" });
            }
            catch (global::Grpc.Core.RpcException)
            {
                // Whether pods exist yet or not, the call is traced with its pod id.
            }
            // Stopping flushes the batch exporter.
            await daemon.StopAsync();
        }
        await receiving.WaitAsync(TimeSpan.FromSeconds(10));

        // OTLP protobuf carries span names and attribute strings verbatim.
        var body = Encoding.UTF8.GetString(traces.ToArray());
        Assert.Contains("runtime.v1.RuntimeService/Version", body);
        Assert.Contains("runtime.v1.RuntimeService/PodSandboxStatus", body);
        Assert.Contains("cri.pod_sandbox_id", body);
        Assert.Contains("pod-4711", body);
    }

    private static async Task ReceiveTracesAsync(HttpListener receiver, MemoryStream traces)
    {
        while (true)
        {
            var context = await receiver.GetContextAsync();
            var isTraces = context.Request.Url!.AbsolutePath == "/v1/traces";
            if (isTraces) await context.Request.InputStream.CopyToAsync(traces);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
            if (isTraces) return;
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
