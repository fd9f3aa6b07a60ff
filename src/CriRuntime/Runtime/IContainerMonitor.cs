namespace CriRuntime.Runtime;

/// <summary>What the monitor needs to create a container through an OCI runtime.</summary>
/// <param name="Id">The runtime's container id.</param>
/// <param name="Name">A human name for logs (pod or container name).</param>
/// <param name="BundlePath">The OCI bundle (config.json, rootfs).</param>
/// <param name="LogPath">The container's stdout/stderr log (CRI log format).</param>
/// <param name="Terminal">The container has a TTY (the monitor holds the pty master).</param>
/// <param name="Stdin">Keep a stdin pipe that attach clients write to.</param>
/// <param name="StdinOnce">Close stdin when the first attached client detaches.</param>
internal sealed record MonitorRequest(string Id, string Name, OciRuntimeHandler Handler, string BundlePath, string LogPath,
    bool Terminal = false, bool Stdin = false, bool StdinOnce = false);

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

    /// <summary>Makes the monitor reopen the container's log file (kubelet rotated it); returns once it has.</summary>
    Task ReopenLogAsync(string id, string bundlePath, string logPath, CancellationToken cancellationToken);

    /// <summary>Sets the window size of the container's terminal (a container created with a TTY).</summary>
    Task ResizeTerminalAsync(string id, string bundlePath, ushort width, ushort height, CancellationToken cancellationToken);

    /// <summary>The unix socket that attaches to the container's stdio.</summary>
    string AttachSocketPath(string id);

    /// <summary>Removes what the monitor left for a container (exit file, attach socket link).</summary>
    void Cleanup(string id);
}
