using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Sandboxes;
using Grpc.Core;

namespace CriRuntime.Grpc;

// RunPodSandbox, StopPodSandbox, RemovePodSandbox, PodSandboxStatus, ListPodSandbox.
internal sealed partial class RuntimeGrpcService
{
    public override async Task<RunPodSandboxResponse> RunPodSandbox(RunPodSandboxRequest request, ServerCallContext context) =>
        new() { PodSandboxId = await _sandboxes.RunAsync(request.Config, request.RuntimeHandler, context.CancellationToken) };

    public override async Task<StopPodSandboxResponse> StopPodSandbox(StopPodSandboxRequest request, ServerCallContext context)
    {
        await _sandboxes.StopAsync(RequireId(request.PodSandboxId), context.CancellationToken);
        return new StopPodSandboxResponse();
    }

    public override async Task<RemovePodSandboxResponse> RemovePodSandbox(RemovePodSandboxRequest request, ServerCallContext context)
    {
        await _sandboxes.RemoveAsync(RequireId(request.PodSandboxId), context.CancellationToken);
        return new RemovePodSandboxResponse();
    }

    public override async Task<PodSandboxStatusResponse> PodSandboxStatus(PodSandboxStatusRequest request, ServerCallContext context)
    {
        var sandbox = _sandboxes.Get(RequireId(request.PodSandboxId));
        var status = SandboxService.StatusOf(sandbox);
        var response = new PodSandboxStatusResponse
        {
            Status = status,
            Timestamp = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100,
        };
        if (request.Verbose) response.Info["info"] = await _sandboxes.VerboseInfoAsync(sandbox, context.CancellationToken);
        return response;
    }

    public override Task<ListPodSandboxResponse> ListPodSandbox(ListPodSandboxRequest request, ServerCallContext context)
    {
        var response = new ListPodSandboxResponse();
        foreach (var s in _sandboxes.List(request.Filter))
        {
            response.Items.Add(new PodSandbox
            {
                Id = s.Id,
                Metadata = s.Config.Metadata,
                State = SandboxService.StateOf(s),
                CreatedAt = s.Record.CreatedAt,
                Labels = { s.Config.Labels },
                Annotations = { s.Config.Annotations },
                RuntimeHandler = s.Record.Handler,
            });
        }
        return Task.FromResult(response);
    }

    private static string RequireId(string id) =>
        id.Length > 0 ? id : throw new InvalidArgumentException("pod_sandbox_id is required");
}
