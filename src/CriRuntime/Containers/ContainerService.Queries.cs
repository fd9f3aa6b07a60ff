using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Containers;

// ContainerStatus, ListContainers, ReopenContainerLog: served from memory plus the monitor's exit files.
internal sealed partial class ContainerService
{
    /// <summary>The container as it is now (an exit the monitor recorded is applied even if not yet persisted).</summary>
    /// <exception cref="NotFoundException">No container has that id.</exception>
    public Container Get(string id) => Refreshed(Require(id));

    /// <summary>Containers matching the CRI filter: id (exact, or a unique prefix as crictl sends), state, pod, labels.</summary>
    public IReadOnlyList<Container> List(ContainerFilter? filter)
    {
        IEnumerable<Container> containers = _index.All.Where(c => c.Record.State != ContainerStates.Creating);
        if (filter is not null && filter.Id.Length > 0)
        {
            if (_index.Get(filter.Id) is not null)
            {
                containers = containers.Where(c => c.Id == filter.Id);
            }
            else
            {
                var matches = containers.Where(c => c.Id.StartsWith(filter.Id, StringComparison.Ordinal)).Take(2).ToList();
                containers = matches.Count == 1 ? matches : [];
            }
        }
        if (filter is not null && filter.PodSandboxId.Length > 0)
        {
            var podId = filter.PodSandboxId;
            var pods = _sandboxes.All.Where(s => s.Id.StartsWith(podId, StringComparison.Ordinal)).Take(2).ToList();
            podId = _sandboxes.Get(podId) is not null ? podId : pods.Count == 1 ? pods[0].Id : podId;
            containers = containers.Where(c => c.Record.SandboxId == podId);
        }
        if (filter is not null)
        {
            foreach (var (key, value) in filter.LabelSelector)
            {
                containers = containers.Where(c => c.Config.Labels.TryGetValue(key, out var v) && v == value);
            }
        }
        var result = containers.Select(Refreshed);
        if (filter?.State is { } state) result = result.Where(c => StateOf(c) == state.State);
        return result.ToList();
    }

    /// <summary>The statuses of a pod's containers (none still being created), oldest first, as its events carry them.</summary>
    public IReadOnlyList<ContainerStatus> StatusesOfPod(string sandboxId) =>
        OfPod(sandboxId).OrderBy(c => c.Record.CreatedAt).Select(ContainerStatusBuilder.Build).ToList();

    public static ContainerState StateOf(Container container) => container.Record.State switch
    {
        ContainerStates.Created => ContainerState.ContainerCreated,
        ContainerStates.Running => ContainerState.ContainerRunning,
        ContainerStates.Exited => ContainerState.ContainerExited,
        _ => ContainerState.ContainerUnknown,
    };

    /// <summary>Makes the monitor reopen the log file (kubelet rotated it): new lines go to a new file at the path.</summary>
    public async Task ReopenLogAsync(string id, CancellationToken cancellationToken)
    {
        using var held = await _index.Locks.AcquireAsync(id, cancellationToken);
        var container = Get(id);
        if (container.Record.State != ContainerStates.Running) throw new FailedPreconditionException($"container {id} is not running");
        await _monitor.ReopenLogAsync(id, container.Record.BundleDir, container.Record.LogPath, cancellationToken);
    }

    /// <summary>The runtime spec the container was created with, for verbose status.</summary>
    public string? SpecJson(Container container)
    {
        var path = Path.Combine(container.Record.BundleDir, "config.json");
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }
}
