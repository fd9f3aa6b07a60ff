using System.Text.Json.Nodes;
using CriRuntime.Configuration;
using CriRuntime.Containers;
using CriRuntime.Errors;
using CriRuntime.Runtime;
using CriRuntime.Sandboxes;

namespace CriRuntime.Streaming;

/// <summary>
/// The CRI's interactive RPCs resolved against real containers and pods: ExecSync runs at once, Exec, Attach and
/// PortForward check the request and return a URL on the streaming server. A container must be running (the
/// runtime cannot exec into, or attach to, anything else); a pod must exist.
/// </summary>
internal sealed class ContainerStreaming(
    ContainerService containers,
    SandboxService sandboxes,
    RuntimeHandlers handlers,
    IContainerMonitor monitor,
    StreamingService streaming,
    ExecSyncRunner execSync)
{
    /// <param name="timeoutSeconds">CRI ExecSyncRequest.timeout: 0 (or less) = no timeout.</param>
    /// <exception cref="DeadlineExceededException">The command ran longer than the timeout; it was killed.</exception>
    public Task<ExecSyncResult> ExecSyncAsync(string containerId, IReadOnlyList<string> command, long timeoutSeconds, CancellationToken cancellationToken)
    {
        if (command.Count == 0) throw new InvalidArgumentException("ExecSync: cmd is empty");
        var target = RunningTarget(containerId, "exec in");
        var timeout = timeoutSeconds > 0 ? TimeSpan.FromSeconds(timeoutSeconds) : TimeSpan.Zero;
        return execSync.RunAsync(target, command, timeout, cancellationToken);
    }

    public string ExecUrl(string containerId, IReadOnlyList<string> command, bool tty, bool stdin, bool stdout, bool stderr)
    {
        // Validate the request's shape before looking the container up, so a malformed request says what is wrong.
        streaming.Validate(command, tty, stdin, stdout, stderr);
        return streaming.CreateExecUrl(new ExecSpec(RunningTarget(containerId, "exec in"), command, tty, stdin, stdout, stderr));
    }

    public string AttachUrl(string containerId, bool tty, bool stdin, bool stdout, bool stderr)
    {
        if (!stdin && !stdout && !stderr) throw new InvalidArgumentException("Attach: one of stdin, stdout or stderr must be set");
        if (tty && stderr) throw new InvalidArgumentException("Attach: tty and stderr cannot both be true");
        var container = Running(containerId, "attach to");
        // Writes to the attach socket go to the container's stdin, which exists only if it was created with one.
        if (stdin && !container.Config.Stdin) throw new InvalidArgumentException($"Attach: container {container.Id} was not created with stdin");
        return streaming.CreateAttachUrl(new AttachSpec(container.Id, monitor.AttachSocketPath(container.Id), container.Record.BundleDir, tty, stdin, stdout, stderr, container.Config.StdinOnce));
    }

    /// <summary>A host-network pod has no netns of its own: its ports are the host's loopback ports.</summary>
    public string PortForwardUrl(string podId, IReadOnlyList<int> ports)
    {
        var pod = sandboxes.Get(podId);
        if (pod.Record.State != SandboxStates.Ready) throw new FailedPreconditionException($"PortForward: pod {podId} is not ready");
        return streaming.CreatePortForwardUrl(new PortForwardSpec(pod.Id, pod.Record.NetnsPath ?? "", ports));
    }

    private Container Running(string containerId, string verb)
    {
        if (containerId.Length == 0) throw new InvalidArgumentException("container_id is required");
        var container = containers.Get(containerId);
        if (container.Record.State != ContainerStates.Running)
        {
            throw new FailedPreconditionException($"cannot {verb} container {containerId}: it is {container.Record.State}, not running");
        }
        return container;
    }

    private ContainerTarget RunningTarget(string containerId, string verb)
    {
        var container = Running(containerId, verb);
        var handler = handlers.Resolve(container.Record.Handler);
        return new ContainerTarget(container.Id, new RuntimeHandlerOptions(handler.Path, handler.Root), ProcessJson(container));
    }

    /// <summary>The container's OCI process object (env, cwd, user, capabilities...) from its bundle's config.json.</summary>
    private static string ProcessJson(Container container)
    {
        var path = Path.Combine(container.Record.BundleDir, "config.json");
        try
        {
            var spec = JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject;
            return spec?["process"] is JsonObject process
                ? process.ToJsonString()
                : throw new FailedPreconditionException($"container {container.Id}: {path} has no process object");
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            throw new FailedPreconditionException($"container {container.Id}: cannot read its runtime spec {path}: {e.Message}", e);
        }
    }
}
