using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Events;
using Grpc.Core;

namespace CriRuntime.Grpc;

// GetContainerEvents: the stream kubelet's evented PLEG reads.
internal sealed partial class RuntimeGrpcService
{
    public override async Task GetContainerEvents(GetEventsRequest request, IServerStreamWriter<ContainerEventResponse> responseStream,
        ServerCallContext context)
    {
        // The stream ends when the client leaves or the daemon stops (SIGTERM must not wait on open streams).
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping);
        using var subscription = _events.Subscribe(context.Peer);
        // Headers go out now, not with the first event, so the client knows at once that it is subscribed.
        await context.WriteResponseHeadersAsync([]);
        try
        {
            await foreach (var e in subscription.ReadAllAsync(cts.Token))
            {
                await responseStream.WriteAsync(e, cts.Token);
            }
        }
        catch (SubscriberTooSlowException e)
        {
            throw new ResourceExhaustedException(e.Message);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Daemon shutdown: end the stream cleanly; kubelet reconnects to the next instance.
        }
    }
}
