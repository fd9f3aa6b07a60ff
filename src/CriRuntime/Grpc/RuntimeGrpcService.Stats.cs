using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Stats;
using Grpc.Core;

namespace CriRuntime.Grpc;

// PodSandboxStats, ListPodSandboxStats, ListMetricDescriptors, ListPodSandboxMetrics, UpdatePodSandboxResources,
// CheckpointContainer.
internal sealed partial class RuntimeGrpcService
{
    public override async Task<PodSandboxStatsResponse> PodSandboxStats(PodSandboxStatsRequest request, ServerCallContext context) =>
        new() { Stats = await _podStats.GetAsync(RequireId(request.PodSandboxId), context.CancellationToken) };

    public override async Task<ListPodSandboxStatsResponse> ListPodSandboxStats(ListPodSandboxStatsRequest request, ServerCallContext context)
    {
        var response = new ListPodSandboxStatsResponse();
        response.Stats.AddRange(await _podStats.ListAsync(request.Filter, context.CancellationToken));
        return response;
    }

    public override Task<ListMetricDescriptorsResponse> ListMetricDescriptors(ListMetricDescriptorsRequest request, ServerCallContext context)
    {
        var response = new ListMetricDescriptorsResponse();
        response.Descriptors.AddRange(CadvisorMetrics.Descriptors);
        return Task.FromResult(response);
    }

    public override async Task<ListPodSandboxMetricsResponse> ListPodSandboxMetrics(ListPodSandboxMetricsRequest request, ServerCallContext context)
    {
        var response = new ListPodSandboxMetricsResponse();
        response.PodMetrics.AddRange(await _podStats.MetricsAsync(context.CancellationToken));
        return response;
    }

    public override async Task<UpdatePodSandboxResourcesResponse> UpdatePodSandboxResources(UpdatePodSandboxResourcesRequest request, ServerCallContext context)
    {
        await _podResources.UpdateAsync(RequireId(request.PodSandboxId), request.Resources, request.Overhead, context.CancellationToken);
        return new UpdatePodSandboxResourcesResponse();
    }

    public override Task<CheckpointContainerResponse> CheckpointContainer(CheckpointContainerRequest request, ServerCallContext context) =>
        throw new UnimplementedException("CheckpointContainer is not supported: criruntime is built without CRIU checkpoint/restore support");
}
