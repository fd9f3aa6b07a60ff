using CriRuntime.Configuration;
using CriRuntime.Containers;
using CriRuntime.Events;
using CriRuntime.Grpc;
using CriRuntime.Images;
using CriRuntime.Linux;
using CriRuntime.Network;
using CriRuntime.Recovery;
using CriRuntime.Runtime;
using CriRuntime.Sandboxes;
using CriRuntime.Stats;
using CriRuntime.Storage;
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
        services.AddSingleton(new StorageLayout(options.Root));
        services.AddSingleton<BlobStore>();
        services.AddSingleton<LayerStore>();
        services.AddSingleton<ImageStore>();
        services.AddSingleton(new RegistryEndpoints(options.Image));
        services.AddSingleton<RegistryHttpClients>();
        services.AddSingleton<ImagePuller>();
        services.AddSingleton<LocalImages>();
        services.AddSingleton<RuntimeHandlers>();
        services.AddSingleton<OciRuntime>();
        services.AddSingleton<IContainerMonitor, ConmonMonitor>();
        services.AddSingleton<ExitWatcher>();
        services.AddSingleton<PodCidr>();
        services.AddSingleton<CniNetwork>();
        services.AddSingleton<PauseRootfs>();
        services.AddSingleton<PauseImage>();
        services.AddSingleton<SandboxIndex>();
        services.AddSingleton<ContainerIndex>();
        services.AddSingleton<ContainerService>();
        services.AddSingleton<IPodContainers>(sp => sp.GetRequiredService<ContainerService>());
        services.AddSingleton<ContainerRecovery>();
        services.AddHostedService(sp => sp.GetRequiredService<ContainerRecovery>());
        services.AddSingleton<SandboxService>();
        services.AddSingleton<SandboxRecovery>();
        services.AddHostedService(sp => sp.GetRequiredService<SandboxRecovery>());
        // After SandboxRecovery (pods hold their pause image again before a Remove releases it), before the server.
        services.AddSingleton<InterruptedOperations>();
        services.AddHostedService(sp => sp.GetRequiredService<InterruptedOperations>());
        services.AddSingleton<OrphanSweep>();
        services.AddHostedService<StartupRecovery>();
        services.AddSingleton(new CgroupStatsReader());
        services.AddSingleton(new DirectoryUsage());
        services.AddSingleton<IContainerStatsSource>(sp => sp.GetRequiredService<ContainerService>());
        services.AddSingleton<PodStats>();
        services.AddSingleton(new CgroupLimits());
        services.AddSingleton<PodResources>();
        services.AddSingleton<HandlerFeatures>();
        services.AddSingleton(sp => new StreamingTokens(TimeProvider.System, StreamingTokens.DefaultLifetime));
        services.AddSingleton<IExecBackend, OciExecBackend>();
        services.AddSingleton<IAttachBackend, MonitorAttachBackend>();
        services.AddSingleton<IPortDialer, NetnsPortDialer>();
        services.AddSingleton(options.Api);
        services.AddSingleton<StreamingServer>();
        services.AddHostedService(sp => sp.GetRequiredService<StreamingServer>());
        services.AddSingleton<StreamingService>();
        services.AddSingleton<ExecSyncRunner>();
        services.AddSingleton<ContainerStreaming>();
    }

    public static void MapCriRuntime(this WebApplication app)
    {
        app.MapGrpcService<RuntimeGrpcService>();
        app.MapGrpcService<ImageGrpcService>();
    }
}
