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
    private readonly Stats.PodStats _podStats;
    private readonly Sandboxes.PodResources _podResources;
    private readonly PodCidr _podCidr;
    private readonly HandlerFeatures _handlerFeatures;
    private readonly Streaming.ContainerStreaming _streaming;

    public RuntimeGrpcService(DaemonOptions options, RuntimeReadiness readiness, ContainerEventBus events, IHostApplicationLifetime lifetime,
        Sandboxes.SandboxService sandboxes, Containers.ContainerService containers, Stats.PodStats podStats, Sandboxes.PodResources podResources, PodCidr podCidr,
        HandlerFeatures handlerFeatures, Streaming.ContainerStreaming streaming)
    {
        _options = options;
        _readiness = readiness;
        _events = events;
        _stopping = lifetime.ApplicationStopping;
        _sandboxes = sandboxes;
        _containers = containers;
        _podStats = podStats;
        _podResources = podResources;
        _podCidr = podCidr;
        _handlerFeatures = handlerFeatures;
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

    public override async Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
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
        response.RuntimeHandlers.Add(await RuntimeHandlersAsync(context.CancellationToken));
        if (request.Verbose)
        {
            response.Info["config"] = EffectiveConfig.ToJson(_options);
        }
        return response;
    }

    // As containerd: every configured handler by name, and the default one once more under the empty name (CRI:
    // "empty name denotes the default handler"). Features are what the handler really supports, so kubelet refuses
    // pods that need more instead of running them wrongly.
    private async Task<IEnumerable<RuntimeHandler>> RuntimeHandlersAsync(CancellationToken cancellationToken)
    {
        var names = new[] { "" }.Concat(_options.Runtime.Handlers.Keys).ToList();
        var features = await Task.WhenAll(names.Select(n => _handlerFeatures.OfAsync(n.Length == 0 ? _options.Runtime.DefaultHandler : n, cancellationToken)));
        return names.Select((name, i) => new RuntimeHandler
        {
            Name = name,
            Features = new RuntimeHandlerFeatures { RecursiveReadOnlyMounts = features[i].RecursiveReadOnlyMounts, UserNamespaces = features[i].UserNamespaces },
        });
    }

    /// <summary>kubelet sends the node's pod CIDR; CNI plugins declaring the ipRanges capability allocate from it.</summary>
    public override Task<UpdateRuntimeConfigResponse> UpdateRuntimeConfig(UpdateRuntimeConfigRequest request, ServerCallContext context)
    {
        if (request.RuntimeConfig?.NetworkConfig is { } network) _podCidr.Set(network.PodCidr);
        return Task.FromResult(new UpdateRuntimeConfigResponse());
    }

    public override Task<RuntimeConfigResponse> RuntimeConfig(RuntimeConfigRequest request, ServerCallContext context) =>
        Task.FromResult(new RuntimeConfigResponse { Linux = new LinuxRuntimeConfiguration { CgroupDriver = CgroupDriver.Cgroupfs } });
}
