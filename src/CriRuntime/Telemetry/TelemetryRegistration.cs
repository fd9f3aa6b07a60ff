using CriRuntime.Configuration;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CriRuntime.Telemetry;

/// <summary>Wires OpenTelemetry exporters; with none configured nothing is registered and telemetry costs nothing.</summary>
internal static class TelemetryRegistration
{
    public static void AddCriTelemetry(this IServiceCollection services, TelemetryOptions options)
    {
        var otlp = options.OtlpEndpoint.Length > 0;
        var prometheus = options.PrometheusListen.Length > 0;
        if (!otlp && !prometheus)
        {
            return;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(options.ServiceName, serviceVersion: Hosting.Entrypoint.Version));
        telemetry.WithMetrics(m =>
        {
            m.AddMeter(CriTelemetry.Name);
            if (prometheus) m.AddPrometheusExporter();
            if (otlp) m.AddOtlpExporter(o => ConfigureOtlp(o, options, "/v1/metrics"));
        });
        if (otlp)
        {
            telemetry.WithTracing(t => t.AddSource(CriTelemetry.Name).AddOtlpExporter(o => ConfigureOtlp(o, options, "/v1/traces")));
        }
    }

    private static void ConfigureOtlp(OtlpExporterOptions o, TelemetryOptions options, string httpPath)
    {
        if (options.OtlpProtocol == "http/protobuf")
        {
            // With an explicit endpoint the HTTP exporter posts to it as given, so name the signal's path.
            o.Protocol = OtlpExportProtocol.HttpProtobuf;
            o.Endpoint = new Uri(options.OtlpEndpoint.TrimEnd('/') + httpPath);
        }
        else
        {
            o.Protocol = OtlpExportProtocol.Grpc;
            o.Endpoint = new Uri(options.OtlpEndpoint);
        }
    }

    /// <summary>Serves /metrics on the Prometheus listener only; the CRI socket never answers it.</summary>
    public static void UseCriTelemetry(this WebApplication app, TelemetryOptions options)
    {
        if (options.PrometheusListen.Length == 0)
        {
            return;
        }
        var port = int.Parse(options.PrometheusListen.AsSpan(options.PrometheusListen.LastIndexOf(':') + 1));
        app.UseOpenTelemetryPrometheusScrapingEndpoint(ctx => ctx.Connection.LocalPort == port && ctx.Request.Path == "/metrics");
    }
}
