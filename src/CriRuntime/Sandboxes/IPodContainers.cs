using CriRuntime.Api.V1;

namespace CriRuntime.Sandboxes;

/// <summary>
/// The containers of a pod, as the pod lifecycle needs them. The Containers service implements this; until it
/// exists, <see cref="NoPodContainers"/> stands in (a pod cannot have containers yet).
/// </summary>
internal interface IPodContainers
{
    /// <summary>Stops every container of the pod (CRI: StopPodSandbox force-stops them); idempotent.</summary>
    Task StopAllAsync(string sandboxId, CancellationToken cancellationToken);

    /// <summary>Removes every container of the pod (CRI: RemovePodSandbox removes them); idempotent.</summary>
    Task RemoveAllAsync(string sandboxId, CancellationToken cancellationToken);

    /// <summary>The CRI statuses of the pod's containers, as the pod's events carry them; takes no lock.</summary>
    IReadOnlyList<ContainerStatus> StatusesOfPod(string sandboxId);
}

/// <summary>Pods without containers: what exists until the Containers service implements <see cref="IPodContainers"/>.</summary>
internal sealed class NoPodContainers : IPodContainers
{
    public Task StopAllAsync(string sandboxId, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RemoveAllAsync(string sandboxId, CancellationToken cancellationToken) => Task.CompletedTask;

    public IReadOnlyList<ContainerStatus> StatusesOfPod(string sandboxId) => [];
}
