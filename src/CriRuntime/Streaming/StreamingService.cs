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
        Validate(spec.Command, spec.Tty, spec.Stdin, spec.Stdout, spec.Stderr);
        return Url("exec", tokens.Add(spec));
    }

    /// <summary>The checks of an ExecRequest's shape, before anything is looked up.</summary>
    public void Validate(IReadOnlyList<string> command, bool tty, bool stdin, bool stdout, bool stderr)
    {
        if (command.Count == 0) throw new InvalidArgumentException("Exec: cmd is empty");
        if (!stdin && !stdout && !stderr) throw new InvalidArgumentException("Exec: one of stdin, stdout or stderr must be set");
        // CRI: a TTY merges stderr into stdout, so asking for both is a client error (kubelet refuses it too).
        if (tty && stderr) throw new InvalidArgumentException("Exec: tty and stderr cannot both be true");
    }

    public string CreatePortForwardUrl(PortForwardSpec spec)
    {
        if (spec.Ports.Any(p => p is < 1 or > 65535)) throw new InvalidArgumentException("PortForward: a port is out of range 1-65535");
        return Url("portforward", tokens.Add(spec));
    }

    public string CreateAttachUrl(AttachSpec spec)
    {
        if (!spec.Stdin && !spec.Stdout && !spec.Stderr) throw new InvalidArgumentException("Attach: one of stdin, stdout or stderr must be set");
        if (spec.Tty && spec.Stderr) throw new InvalidArgumentException("Attach: tty and stderr cannot both be true");
        return Url("attach", tokens.Add(spec));
    }

    private string Url(string kind, string token)
    {
        if (server.BaseUrl.Length == 0) throw new FailedPreconditionException("the streaming server is not running");
        return $"{server.BaseUrl}/{kind}/{token}";
    }
}
