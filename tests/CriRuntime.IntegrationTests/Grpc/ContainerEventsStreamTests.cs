using System.Diagnostics;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Grpc;

public sealed class ContainerEventsStreamTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GetContainerEvents_OpenStream_DoesNotDelaySigterm()
    {
        await using var daemon = await CriDaemon.StartAsync(output);
        using var call = daemon.Runtime.GetContainerEvents(new GetEventsRequest());
        var reading = Task.Run(async () =>
        {
            try
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
            }
            catch (RpcException)
            {
                // The server went away; either ending is fine for this test.
            }
        });
        await call.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));

        var watch = Stopwatch.StartNew();
        var exitCode = await daemon.StopAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(0, exitCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        await reading.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Status_ListsDefaultAndNamedRuntimeHandlers()
    {
        await using var daemon = await CriDaemon.StartAsync(output);

        var status = await daemon.Runtime.StatusAsync(new StatusRequest());

        Assert.Equal(["", "criruntime", "runc"], status.RuntimeHandlers.Select(h => h.Name));
        // The default handler is listed again under the empty name, with the same features (containerd's convention).
        Assert.Equal(status.RuntimeHandlers[1].Features, status.RuntimeHandlers[0].Features);
    }
}
