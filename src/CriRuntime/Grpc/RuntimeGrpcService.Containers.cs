using System.Text;
using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.Containers;
using CriRuntime.Errors;
using Grpc.Core;
using ContainerEntry = CriRuntime.Containers.Container;

namespace CriRuntime.Grpc;

// CreateContainer, StartContainer, StopContainer, RemoveContainer, ListContainers, ContainerStatus, ReopenContainerLog,
// UpdateContainerResources.
internal sealed partial class RuntimeGrpcService
{
    public override async Task<CreateContainerResponse> CreateContainer(CreateContainerRequest request, ServerCallContext context)
    {
        if (request.PodSandboxId.Length == 0) throw new InvalidArgumentException("pod_sandbox_id is required");
        return new() { ContainerId = await _containers.CreateAsync(request.PodSandboxId, request.Config, context.CancellationToken) };
    }

    public override async Task<StartContainerResponse> StartContainer(StartContainerRequest request, ServerCallContext context)
    {
        await _containers.StartAsync(RequireContainerId(request.ContainerId), context.CancellationToken);
        return new StartContainerResponse();
    }

    public override async Task<StopContainerResponse> StopContainer(StopContainerRequest request, ServerCallContext context)
    {
        await _containers.StopAsync(RequireContainerId(request.ContainerId), Math.Max(0, request.Timeout), context.CancellationToken);
        return new StopContainerResponse();
    }

    public override async Task<RemoveContainerResponse> RemoveContainer(RemoveContainerRequest request, ServerCallContext context)
    {
        await _containers.RemoveAsync(RequireContainerId(request.ContainerId), context.CancellationToken);
        return new RemoveContainerResponse();
    }

    public override async Task<UpdateContainerResourcesResponse> UpdateContainerResources(UpdateContainerResourcesRequest request,
        ServerCallContext context)
    {
        await _containers.UpdateResourcesAsync(RequireContainerId(request.ContainerId), request.Linux, context.CancellationToken);
        return new UpdateContainerResourcesResponse();
    }

    public override async Task<ReopenContainerLogResponse> ReopenContainerLog(ReopenContainerLogRequest request, ServerCallContext context)
    {
        await _containers.ReopenLogAsync(RequireContainerId(request.ContainerId), context.CancellationToken);
        return new ReopenContainerLogResponse();
    }

    public override Task<ListContainersResponse> ListContainers(ListContainersRequest request, ServerCallContext context)
    {
        var response = new ListContainersResponse();
        foreach (var c in _containers.List(request.Filter))
        {
            response.Containers.Add(new Api.V1.Container
            {
                Id = c.Id,
                PodSandboxId = c.Record.SandboxId,
                Metadata = c.Config.Metadata,
                Image = ContainerStatusBuilder.ImageSpecOf(c),
                ImageRef = c.Record.ImageRef,
                ImageId = c.Record.ImageId,
                State = ContainerService.StateOf(c),
                CreatedAt = c.Record.CreatedAt,
                Labels = { c.Config.Labels },
                Annotations = { c.Config.Annotations },
            });
        }
        return Task.FromResult(response);
    }

    public override Task<ContainerStatusResponse> ContainerStatus(ContainerStatusRequest request, ServerCallContext context)
    {
        var c = _containers.Get(RequireContainerId(request.ContainerId));
        var status = ContainerStatusBuilder.Build(c);
        var response = new ContainerStatusResponse { Status = status };
        if (request.Verbose) response.Info["info"] = VerboseInfo(c);
        return Task.FromResult(response);
    }

    /// <summary>Status verbose info["info"]: pid, bundle, runtime, spec, like CRI-O and containerd.</summary>
    private string VerboseInfo(ContainerEntry c)
    {
        var r = c.Record;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("sandboxID", r.SandboxId);
            w.WriteNumber("pid", r.Pid);
            w.WriteNumber("monitorPid", r.MonitorPid);
            w.WriteString("runtimeHandler", r.Handler);
            w.WriteString("bundle", r.BundleDir);
            w.WriteString("writableLayer", r.LayerDir);
            w.WriteString("cgroupsPath", r.CgroupsPath);
            w.WritePropertyName("runtimeSpec");
            if (_containers.SpecJson(c) is { } spec) w.WriteRawValue(spec);
            else w.WriteNullValue();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string RequireContainerId(string id) =>
        id.Length > 0 ? id : throw new InvalidArgumentException("container_id is required");
}
