namespace CriRuntime.Runtime;

/// <summary>What the monitor needs to create a container through an OCI runtime.</summary>
/// <param name="Id">The runtime's container id.</param>
/// <param name="Name">A human name for logs (pod or container name).</param>
/// <param name="BundlePath">The OCI bundle (config.json, rootfs).</param>
/// <param name="LogPath">The container's stdout/stderr log (CRI log format).</param>
internal sealed record MonitorRequest(string Id, string Name, OciRuntimeHandler Handler, string BundlePath, string LogPath);

/// <summary>A created (not yet started) container and its monitor.</summary>
/// <param name="Pid">The container's init process.</param>
/// <param name="MonitorPid">The monitor process, which outlives the daemon (0 when unknown).</param>
internal sealed record MonitoredContainer(int Pid, ulong PidStartTime, int MonitorPid, ulong MonitorStartTime);

/// <summary>
/// A per-container monitor that runs the OCI runtime's `create`, stays the container's parent (holding its stdio
/// and log) and records its exit code in <see cref="ExitDirectory"/> under the container id, so exits are seen
/// even while the daemon is down. conmon today (<see cref="ConmonMonitor"/>); a leaner one can replace it.
/// </summary>
internal interface IContainerMonitor
{
    /// <summary>Where exit files (named by container id, content the exit code) appear.</summary>
    string ExitDirectory { get; }

    /// <summary>Creates the container under a new monitor; on failure nothing is left running.</summary>
    Task<MonitoredContainer> CreateAsync(MonitorRequest request, CancellationToken cancellationToken);

    /// <summary>Removes what the monitor left for a container (exit file, attach socket link).</summary>
    void Cleanup(string id);
}
