using CriRuntime.Api.V1;
using Grpc.Core;

namespace CriRuntime.Grpc;

// ContainerStats, ListContainerStats.
internal sealed partial class RuntimeGrpcService
{
    public override async Task<ContainerStatsResponse> ContainerStats(ContainerStatsRequest request, ServerCallContext context) =>
        new() { Stats = await _containers.StatsAsync(RequireContainerId(request.ContainerId), context.CancellationToken) };

    public override async Task<ListContainerStatsResponse> ListContainerStats(ListContainerStatsRequest request, ServerCallContext context)
    {
        var response = new ListContainerStatsResponse();
        response.Stats.AddRange(await _containers.ListStatsAsync(request.Filter, context.CancellationToken));
        return response;
    }
}
