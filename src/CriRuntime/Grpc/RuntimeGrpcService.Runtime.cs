using CriRuntime.Api.V1;
using CriRuntime.Configuration;
using CriRuntime.Events;
using CriRuntime.Hosting;
using CriRuntime.Network;
using CriRuntime.Runtime;
using Grpc.Core;

namespace CriRuntime.Grpc;

// Version, Status, RuntimeConfig: what the runtime is and whether the node can run pods.
internal sealed partial class RuntimeGrpcService
{
    private const string KubeletApiVersion = "0.1.0";

    private readonly DaemonOptions _options;
    private readonly RuntimeReadiness _readiness;
    private readonly ContainerEventBus _events;
    private readonly CancellationToken _stopping;
    private readonly Sandboxes.SandboxService _sandboxes;
    private readonly Containers.ContainerService _containers;
    private readonly Streaming.ContainerStreaming _streaming;

    public RuntimeGrpcService(DaemonOptions options, RuntimeReadiness readiness, ContainerEventBus events, IHostApplicationLifetime lifetime,
        Sandboxes.SandboxService sandboxes, Containers.ContainerService containers, Streaming.ContainerStreaming streaming)
    {
        _options = options;
        _readiness = readiness;
        _events = events;
        _stopping = lifetime.ApplicationStopping;
        _sandboxes = sandboxes;
        _containers = containers;
        _streaming = streaming;
    }

    public override Task<VersionResponse> Version(VersionRequest request, ServerCallContext context) =>
        Task.FromResult(new VersionResponse
        {
            Version = KubeletApiVersion,
            RuntimeName = "criruntime",
            RuntimeVersion = Entrypoint.Version,
            RuntimeApiVersion = "v1",
        });

    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        var (runtimeReady, runtimeReason, runtimeMessage) = _readiness.Check();
        var cni = CniConfigDirectory.FindCached(_options.Network.CniConfDir);
        var response = new StatusResponse
        {
            Status = new RuntimeStatus
            {
                Conditions =
                {
                    new RuntimeCondition { Type = "RuntimeReady", Status = runtimeReady, Reason = runtimeReason, Message = runtimeMessage },
                    new RuntimeCondition
                    {
                        Type = "NetworkReady",
                        Status = cni.Path is not null,
                        Reason = cni.Path is null ? "NetworkPluginNotReady" : "",
                        Message = cni.Path is null ? "Network plugin returns error: cni plugin not initialized: " + cni.Problem : "",
                    },
                },
            },
        };
        response.RuntimeHandlers.Add(RuntimeHandlers());
        if (request.Verbose)
        {
            response.Info["config"] = EffectiveConfig.ToJson(_options);
        }
        return Task.FromResult(response);
    }

    // CRI: the empty name denotes the default handler. No handler supports recursive read-only mounts or user
    // namespaces yet; saying so lets kubelet refuse pods that need them instead of running them wrongly.
    private IEnumerable<RuntimeHandler> RuntimeHandlers() =>
        new[] { "" }.Concat(_options.Runtime.Handlers.Keys).Select(name => new RuntimeHandler
        {
            Name = name,
            Features = new RuntimeHandlerFeatures { RecursiveReadOnlyMounts = false, UserNamespaces = false },
        });

    public override Task<RuntimeConfigResponse> RuntimeConfig(RuntimeConfigRequest request, ServerCallContext context) =>
        Task.FromResult(new RuntimeConfigResponse { Linux = new LinuxRuntimeConfiguration { CgroupDriver = CgroupDriver.Cgroupfs } });
}
