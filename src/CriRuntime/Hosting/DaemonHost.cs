using System.Net;
using CriRuntime.Configuration;
using CriRuntime.Hosting.Http2;
using CriRuntime.Telemetry;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Console;

namespace CriRuntime.Hosting;

/// <summary>Runs the gRPC server on the CRI socket until SIGTERM/SIGINT. Containers are never touched on the way out.</summary>
internal static partial class DaemonHost
{
    /// <summary>SIGTERM must end the process within 5 s; leave headroom for logging and exit.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(4);

    public static async Task<int> RunAsync(DaemonOptions options)
    {
        CriSocket socket;
        try
        {
            socket = CriSocket.Claim(options.Api.Listen);
        }
        catch (Exception e) when (e is SocketInUseException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"criruntime: cannot serve {options.Api.Listen}: {e.Message}");
            return Entrypoint.ExitStartFailure;
        }

        using (socket)
        {
            var app = Build(options);
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CriRuntime");
            try
            {
                await app.StartAsync();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                LogStartFailed(logger, e, options.Api.Listen);
                return Entrypoint.ExitStartFailure;
            }
            socket.Restrict();
            SystemdNotifier.Notify("READY=1");
            app.Lifetime.ApplicationStopping.Register(() => SystemdNotifier.Notify("STOPPING=1"));
            LogServing(logger, Entrypoint.Version, options.Api.Listen);
            await app.WaitForShutdownAsync();
            LogStopped(logger);
            await app.DisposeAsync();
        }
        return 0;
    }

    private static WebApplication Build(DaemonOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        ConfigureLogging(builder.Logging, builder.Services, options);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenUnixSocket(options.Api.Listen, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                // Kubelet/crictl <= 1.30 send the socket path as :authority, which Kestrel refuses (Http2/).
                l.Use(AuthorityRewriteMiddleware.Create(kestrel.Limits.Http2, l.ApplicationServices.GetRequiredService<ILoggerFactory>()));
            });
            if (options.Telemetry.PrometheusListen.Length > 0)
            {
                kestrel.Listen(ParseEndpoint(options.Telemetry.PrometheusListen), l => l.Protocols = HttpProtocols.Http1);
            }
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddCriRuntime(options);

        var app = builder.Build();
        app.UseCriTelemetry(options.Telemetry);
        app.MapCriRuntime();
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, IServiceCollection services, DaemonOptions options)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(options.LogLevel);
        // ASP.NET Core's per-request chatter is noise at info; show it only when debugging.
        logging.AddFilter("Microsoft", options.LogLevel <= LogLevel.Debug ? options.LogLevel : LogLevel.Warning);
        if (options.LogFormat == "json")
        {
            logging.AddJsonConsole(o => { o.UseUtcTimestamp = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
        services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    private static IPEndPoint ParseEndpoint(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        var host = hostPort[..colon].Trim('[', ']');
        var address = host is "" or "*" or "0.0.0.0" ? IPAddress.Any : host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(host);
        return new IPEndPoint(address, int.Parse(hostPort.AsSpan(colon + 1)));
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "criruntime {Version} serving CRI on {Socket}")]
    private static partial void LogServing(ILogger logger, string version, string socket);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "criruntime stopped; containers keep running")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical, Message = "cannot serve {Socket}")]
    private static partial void LogStartFailed(ILogger logger, Exception e, string socket);
}
