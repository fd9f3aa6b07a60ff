using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Oci;
using Google.Protobuf;

namespace CriRuntime.Containers;

// UpdateContainerResources: new cgroup limits through the runtime, recorded for ContainerStatus.
internal sealed partial class ContainerService
{
    /// <summary>
    /// Applies new cpu, cpuset, memory (and swap, as at create), hugepage and unified limits to a created or running
    /// container through its runtime (`update --resources -`), then records them so ContainerStatus reports them.
    /// </summary>
    /// <exception cref="NotFoundException">No container has that id.</exception>
    /// <exception cref="FailedPreconditionException">The container has exited.</exception>
    public async Task UpdateResourcesAsync(string id, LinuxContainerResources? resources, CancellationToken cancellationToken)
    {
        if (resources is null) throw new InvalidArgumentException("linux resources are required");
        using var held = await _index.Locks.AcquireAsync(id, cancellationToken);
        var container = Refreshed(Require(id));
        if (container.Record.State is not (ContainerStates.Created or ContainerStates.Running))
        {
            SaveIfChanged(container);
            throw new FailedPreconditionException($"container {id} is {container.Record.State}; only a created or running container can be updated");
        }
        var host = _host.Value;
        var warnings = new List<string>();
        var limits = Oci.ContainerResources.Limits(resources, new ResourceHost(host.CgroupV2, host.SwapAccounting, host.Hugetlb), warnings);
        foreach (var warning in warnings) LogSpecWarning(_logger, id, warning);
        var json = JsonSerializer.Serialize(limits, OciJsonContext.Default.SpecResources);
        await _runtime.UpdateAsync(_handlers.Resolve(container.Record.Handler), id, json, cancellationToken);
        SaveIfChanged(container with { Record = container.Record with { UpdatedResources = resources.ToByteArray() } });
        LogResourcesUpdated(_logger, id, json);
    }

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "container {Id}: resources updated to {Resources}")]
    private static partial void LogResourcesUpdated(ILogger logger, string id, string resources);
}
