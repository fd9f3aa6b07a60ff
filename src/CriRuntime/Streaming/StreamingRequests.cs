using CriRuntime.Configuration;

namespace CriRuntime.Streaming;

/// <summary>A container as the streaming backends need it: its id in the OCI runtime that runs it, and the
/// container's OCI <c>process</c> object (config.json), which exec'd processes inherit (env, cwd, user, caps).</summary>
internal sealed record ContainerTarget(string Id, RuntimeHandlerOptions Runtime, string ProcessJson);

/// <summary>CRI ExecRequest, resolved: run <paramref name="Command"/> in the container.</summary>
internal sealed record ExecSpec(ContainerTarget Container, IReadOnlyList<string> Command, bool Tty, bool Stdin, bool Stdout, bool Stderr);

/// <summary>CRI AttachRequest, resolved: the monitor's attach socket of a running container and its bundle (where
/// the monitor's control fifo takes resize messages).</summary>
internal sealed record AttachSpec(string ContainerId, string AttachSocketPath, string BundleDir, bool Tty, bool Stdin, bool Stdout, bool Stderr, bool StdinOnce = false);

/// <summary>CRI PortForwardRequest, resolved: the pod's network namespace (a path such as /run/criruntime/netns/ID),
/// or "" for a host-network pod, whose ports are the host's loopback ports.</summary>
internal sealed record PortForwardSpec(string PodSandboxId, string NetworkNamespacePath, IReadOnlyList<int> Ports);

/// <summary>A terminal size from the resize stream/channel.</summary>
internal readonly record struct TerminalSize(ushort Width, ushort Height);

/// <summary>How an exec or attach session ended: the exit code, or a failure to report on the error stream.</summary>
internal sealed record CommandOutcome(int ExitCode, string? Error = null)
{
    public static CommandOutcome Failed(string message) => new(-1, message);
}

/// <summary>The client's side of a remotecommand session, whatever the wire protocol. Absent streams are null.</summary>
internal sealed record RemoteCommandStreams(Stream? Stdin, Stream? Stdout, Stream? Stderr, System.Threading.Channels.ChannelReader<TerminalSize>? Resize);
