using System.Text.Json;
using CriRuntime.Errors;
using CriRuntime.Linux;

namespace CriRuntime.Runtime;

/// <summary>What the runtime's <c>state</c> verb says: status (created, running, stopped, paused) and bundle.</summary>
internal sealed record OciRuntimeState(string Status, string Bundle);

/// <summary>
/// The runc-compatible CLI of an OCI runtime (runc, crun, criruntime-launch): the verbs the daemon runs itself.
/// `create` is run by the monitor (see <see cref="IContainerMonitor"/>) so the monitor is the container's parent.
/// </summary>
internal sealed class OciRuntime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public Task StartAsync(OciRuntimeHandler handler, string id, CancellationToken cancellationToken) =>
        RunAsync(handler, ["start", id], "start", null, cancellationToken);

    /// <summary>Sends a signal to the container's init; a container that is already stopped or gone is not an error.</summary>
    public async Task KillAsync(OciRuntimeHandler handler, string id, string signal, CancellationToken cancellationToken)
    {
        var result = await ExecAsync(handler, ["kill", id, signal], null, cancellationToken);
        if (result.ExitCode != 0 && !IsGoneOrStopped(result.Stderr))
        {
            throw new OperationFailedException($"{handler.Name} kill {id} {signal}: {ChildProcess.Summarize(result.Stderr)}");
        }
    }

    /// <summary>Removes the runtime's state for the container (killing it if needed); idempotent.</summary>
    public async Task DeleteAsync(OciRuntimeHandler handler, string id, CancellationToken cancellationToken)
    {
        var result = await ExecAsync(handler, ["delete", "--force", id], null, cancellationToken);
        if (result.ExitCode != 0 && !IsGoneOrStopped(result.Stderr))
        {
            throw new OperationFailedException($"{handler.Name} delete {id}: {ChildProcess.Summarize(result.Stderr)}");
        }
    }

    /// <summary>
    /// New cgroup limits for a created or running container: runc's `update --resources -` with an OCI
    /// linux.resources object on stdin (our launcher takes the same).
    /// </summary>
    public Task UpdateAsync(OciRuntimeHandler handler, string id, string resourcesJson, CancellationToken cancellationToken) =>
        RunAsync(handler, ["update", "--resources", "-", id], "update", resourcesJson, cancellationToken);

    /// <summary>The runtime's view of a container; null when the runtime does not know it.</summary>
    public async Task<OciRuntimeState?> StateAsync(OciRuntimeHandler handler, string id, CancellationToken cancellationToken)
    {
        var result = await ExecAsync(handler, ["state", id], null, cancellationToken);
        if (result.ExitCode != 0)
        {
            return IsGoneOrStopped(result.Stderr) ? null : throw new OperationFailedException($"{handler.Name} state {id}: {ChildProcess.Summarize(result.Stderr)}");
        }
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        return new OciRuntimeState(
            root.TryGetProperty("status", out var s) ? s.GetString() ?? "" : "",
            root.TryGetProperty("bundle", out var b) ? b.GetString() ?? "" : "");
    }

    private static async Task RunAsync(OciRuntimeHandler handler, string[] args, string verb, string? stdin, CancellationToken cancellationToken)
    {
        var result = await ExecAsync(handler, args, stdin, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new OperationFailedException($"{handler.Name} {verb} failed: {ChildProcess.Summarize(result.Stderr)}");
        }
    }

    private static Task<ChildProcessResult> ExecAsync(OciRuntimeHandler handler, string[] args, string? stdin, CancellationToken cancellationToken) =>
        ChildProcess.RunAsync(handler.Path, ["--root", handler.Root, .. args], null, stdin, Timeout, cancellationToken);

    // runc: "container does not exist", "container not running"; crun: "does not exist"; both say "not running"
    // for a stopped container.
    private static bool IsGoneOrStopped(string stderr) =>
        stderr.Contains("does not exist", StringComparison.OrdinalIgnoreCase) ||
        stderr.Contains("not running", StringComparison.OrdinalIgnoreCase) ||
        stderr.Contains("no such file", StringComparison.OrdinalIgnoreCase);
}
