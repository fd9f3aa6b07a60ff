using CriRuntime.Configuration;
using CriRuntime.Events;
using CriRuntime.Grpc;
using CriRuntime.Runtime;
using CriRuntime.Streaming;
using CriRuntime.Telemetry;

namespace CriRuntime.Hosting;

/// <summary>All dependency wiring in one place: each concept adds its services here.</summary>
internal static class ServiceRegistration
{
    /// <summary>The largest CRI message kubelet sends or accepts.</summary>
    private const int MaxMessageBytes = 16 * 1024 * 1024;

    public static void AddCriRuntime(this IServiceCollection services, DaemonOptions options)
    {
        services.AddSingleton(options);
        services.AddGrpc(grpc =>
        {
            // Telemetry is outermost so it records the status the client finally sees.
            grpc.Interceptors.Add<RpcTelemetryInterceptor>();
            grpc.Interceptors.Add<ErrorMappingInterceptor>();
            grpc.MaxReceiveMessageSize = MaxMessageBytes;
            grpc.MaxSendMessageSize = MaxMessageBytes;
        });
        services.AddCriTelemetry(options.Telemetry);

        services.AddSingleton<RuntimeReadiness>();
        services.AddSingleton<ContainerEventBus>();
        services.AddSingleton(sp => new StreamingTokens(TimeProvider.System, StreamingTokens.DefaultLifetime));
        services.AddSingleton<IExecBackend, OciExecBackend>();
        services.AddSingleton<IPortDialer, NetnsPortDialer>();
        services.AddSingleton(options.Api);
        services.AddSingleton<StreamingServer>();
        services.AddHostedService(sp => sp.GetRequiredService<StreamingServer>());
        services.AddSingleton<StreamingService>();
        services.AddSingleton<ExecSyncRunner>();
    }

    public static void MapCriRuntime(this WebApplication app)
    {
        app.MapGrpcService<RuntimeGrpcService>();
        app.MapGrpcService<ImageGrpcService>();
    }
}
