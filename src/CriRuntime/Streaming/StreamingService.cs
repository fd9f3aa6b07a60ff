using CriRuntime.Errors;

namespace CriRuntime.Streaming;

/// <summary>
/// The entry point for the CRI RPC layer: each method checks the request, stores it under a fresh single-use
/// token and returns the URL that goes into the CRI response (ExecResponse.url and so on). The client then
/// connects to <see cref="StreamingServer"/> with SPDY or WebSocket.
/// </summary>
internal sealed class StreamingService(StreamingServer server, StreamingTokens tokens)
{
    public string CreateExecUrl(ExecSpec spec)
    {
        if (spec.Command.Count == 0) throw new InvalidArgumentException("Exec: cmd is empty");
        if (!spec.Stdin && !spec.Stdout && !spec.Stderr) throw new InvalidArgumentException("Exec: one of stdin, stdout or stderr must be set");
        // kubelet: a TTY merges stderr into stdout, so asking for both is a client error.
        if (spec.Tty && spec.Stderr) throw new InvalidArgumentException("Exec: tty and stderr cannot both be true");
        return Url("exec", tokens.Add(spec));
    }

    public string CreatePortForwardUrl(PortForwardSpec spec)
    {
        if (spec.Ports.Any(p => p is < 1 or > 65535)) throw new InvalidArgumentException("PortForward: a port is out of range 1-65535");
        if (string.IsNullOrEmpty(spec.NetworkNamespacePath)) throw new FailedPreconditionException($"PortForward: pod {spec.PodSandboxId} has no network namespace");
        return Url("portforward", tokens.Add(spec));
    }

    /// <summary>Attach needs the monitor's attach socket, which arrives with containers (issue 6).</summary>
    public string CreateAttachUrl(AttachSpec spec) =>
        throw new UnimplementedException($"Attach to {spec.ContainerId}: not implemented yet (needs the container monitor's attach socket)");

    private string Url(string kind, string token)
    {
        if (server.BaseUrl.Length == 0) throw new FailedPreconditionException("the streaming server is not running");
        return $"{server.BaseUrl}/{kind}/{token}";
    }
}
