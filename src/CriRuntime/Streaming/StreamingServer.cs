using System.Net;
using CriRuntime.Configuration;
using CriRuntime.Streaming.Spdy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CriRuntime.Streaming;

/// <summary>
/// The exec/attach/port-forward HTTP server: its own Kestrel on api.stream_address:api.stream_port (HTTP/1.1,
/// since SPDY and WebSocket are both HTTP/1.1 upgrades), URLs shaped like CRI-O's: /exec/{token},
/// /attach/{token}, /portforward/{token}. A request with an unknown, used or expired token gets 404.
/// Kept apart from the CRI socket's app so its limits and lifetime are its own; started as a hosted service.
/// </summary>
internal sealed partial class StreamingServer(ApiOptions options, StreamingTokens tokens, IExecBackend exec, IAttachBackend attach, IPortDialer dialer, ILogger<StreamingServer> logger)
    : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>http://address:port, known once started.</summary>
    public string BaseUrl { get; private set; } = "";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Parse(options.StreamAddress), options.StreamPort, l => l.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Urls.First();
        var port = new Uri(address).Port;
        var host = IPAddress.Parse(options.StreamAddress);
        BaseUrl = $"http://{(host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host.ToString())}:{port}";
        _app = app;
        LogListening(logger, BaseUrl);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var parts = (context.Request.Path.Value ?? "").Trim('/').Split('/');
        if (parts.Length != 2)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var request = parts[0] switch
        {
            "exec" => (object?)tokens.Take<ExecSpec>(parts[1]),
            "attach" => tokens.Take<AttachSpec>(parts[1]),
            "portforward" => tokens.Take<PortForwardSpec>(parts[1]),
            _ => null,
        };
        switch (request)
        {
            case ExecSpec spec:
                await ServeRemoteCommandAsync(context, (io, ct) => exec.ExecAsync(spec, io, ct), spec.Tty, spec.Stdin, spec.Stdout, spec.Stderr, spec.Command);
                break;
            case AttachSpec spec:
                await ServeRemoteCommandAsync(context, (io, ct) => attach.AttachAsync(spec, io, ct), spec.Tty, spec.Stdin, spec.Stdout, spec.Stderr, null);
                break;
            case PortForwardSpec spec:
                await ServePortForwardAsync(context, spec);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    /// <summary>Exec and attach: the same remotecommand protocols, a different backend behind them.</summary>
    private async Task ServeRemoteCommandAsync(HttpContext context, Func<RemoteCommandStreams, CancellationToken, Task<CommandOutcome>> run,
        bool tty, bool stdin, bool stdout, bool stderr, IReadOnlyList<string>? command)
    {
        if (context.WebSockets.IsWebSocketRequest)
        {
            var protocol = Negotiate(context.WebSockets.WebSocketRequestedProtocols, WebSocketRemoteCommand.Protocols);
            if (protocol is null)
            {
                await RefuseAsync(context, WebSocketRemoteCommand.Protocols);
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync(protocol);
            await WebSocketRemoteCommand.ServeAsync(socket, protocol, tty, stdin, stdout, stderr, run, command, options.StreamIdleTimeout, context.RequestAborted);
            return;
        }
        await using var spdy = await UpgradeSpdyAsync(context, SpdyRemoteCommand.Protocols);
        if (spdy is null) return;
        var reader = spdy.Connection.RunAsync(context.RequestAborted);
        await SpdyRemoteCommand.ServeAsync(spdy.Connection, spdy.Protocol, tty, stdin, stdout, stderr, run, command, context.RequestAborted);
        await spdy.Connection.DisposeAsync();
        await reader;
    }

    private async Task ServePortForwardAsync(HttpContext context, PortForwardSpec spec)
    {
        if (context.WebSockets.IsWebSocketRequest)
        {
            var protocol = Negotiate(context.WebSockets.WebSocketRequestedProtocols, WebSocketPortForward.Protocols);
            var ports = context.Request.Query["port"].Select(p => int.TryParse(p, out var n) ? n : -1).ToList();
            if (ports.Count == 0) ports = [.. spec.Ports];
            if (protocol is null || ports.Count == 0 || ports.Count > 64 || ports.Any(p => p is < 1 or > 65535))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync(protocol is null ? "unsupported WebSocket protocol" : "invalid or missing port");
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync(protocol);
            await WebSocketPortForward.ServeAsync(socket, spec, ports, dialer, options.StreamIdleTimeout, context.RequestAborted);
            return;
        }
        await using var spdy = await UpgradeSpdyAsync(context, [SpdyPortForward.Protocol]);
        if (spdy is null) return;
        var reader = spdy.Connection.RunAsync(context.RequestAborted);
        await SpdyPortForward.ServeAsync(spdy.Connection, spec, dialer, context.RequestAborted);
        await spdy.Connection.DisposeAsync();
        await reader;
    }

    private async Task<SpdySession?> UpgradeSpdyAsync(HttpContext context, string[] serverProtocols)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is null || !upgrade.IsUpgradableRequest || !context.Request.Headers.Upgrade.ToString().Contains("SPDY/3.1", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("unable to upgrade: missing upgrade headers in request");
            return null;
        }
        var offered = context.Request.Headers["X-Stream-Protocol-Version"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        var protocol = Negotiate(offered, serverProtocols);
        if (protocol is null)
        {
            await RefuseAsync(context, serverProtocols);
            return null;
        }
        context.Response.Headers["X-Stream-Protocol-Version"] = protocol;
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "SPDY/3.1";
        var transport = await upgrade.UpgradeAsync();
        return new SpdySession(new SpdyConnection(transport, isClient: false, options.StreamIdleTimeout), protocol);
    }

    /// <summary>The first protocol in the client's order that we serve (kubelet's httpstream.Handshake).</summary>
    internal static string? Negotiate(IEnumerable<string> offered, string[] supported) =>
        offered.FirstOrDefault(p => supported.Contains(p, StringComparer.Ordinal));

    private static async Task RefuseAsync(HttpContext context, string[] serverProtocols)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.Headers["X-Accepted-Stream-Protocol-Versions"] = serverProtocols;
        await context.Response.WriteAsync($"unable to upgrade: unable to negotiate protocol: server accepts {string.Join(", ", serverProtocols)}");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        _app = null;
    }

    private sealed record SpdySession(SpdyConnection Connection, string Protocol) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "streaming server (exec, attach, port-forward) on {Url}")]
    private static partial void LogListening(ILogger logger, string url);
}
