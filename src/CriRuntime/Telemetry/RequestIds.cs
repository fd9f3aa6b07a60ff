using CriRuntime.Api.V1;

namespace CriRuntime.Telemetry;

/// <summary>The pod and container ids a CRI request is about, for span attributes.</summary>
internal static class RequestIds
{
    public static (string? PodId, string? ContainerId) Of(object request) => request switch
    {
        StopPodSandboxRequest r => (r.PodSandboxId, null),
        RemovePodSandboxRequest r => (r.PodSandboxId, null),
        PodSandboxStatusRequest r => (r.PodSandboxId, null),
        PodSandboxStatsRequest r => (r.PodSandboxId, null),
        UpdatePodSandboxResourcesRequest r => (r.PodSandboxId, null),
        PortForwardRequest r => (r.PodSandboxId, null),
        CreateContainerRequest r => (r.PodSandboxId, null),
        StartContainerRequest r => (null, r.ContainerId),
        StopContainerRequest r => (null, r.ContainerId),
        RemoveContainerRequest r => (null, r.ContainerId),
        ContainerStatusRequest r => (null, r.ContainerId),
        ContainerStatsRequest r => (null, r.ContainerId),
        UpdateContainerResourcesRequest r => (null, r.ContainerId),
        ReopenContainerLogRequest r => (null, r.ContainerId),
        ExecSyncRequest r => (null, r.ContainerId),
        ExecRequest r => (null, r.ContainerId),
        AttachRequest r => (null, r.ContainerId),
        CheckpointContainerRequest r => (null, r.ContainerId),
        _ => (null, null),
    };
}
