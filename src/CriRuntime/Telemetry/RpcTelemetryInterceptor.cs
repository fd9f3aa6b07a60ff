using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace CriRuntime.Telemetry;

/// <summary>One span, one latency sample and, on failure, one error count per CRI call.</summary>
internal sealed class RpcTelemetryInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        using var call = Begin(request, context);
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException e)
        {
            call.Fail(e.StatusCode);
            throw;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var call = Begin(request, context);
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (RpcException e)
        {
            call.Fail(e.StatusCode);
            throw;
        }
    }

    private static TracedCall Begin(object request, ServerCallContext context)
    {
        var method = context.Method.TrimStart('/');
        // ASP.NET Core's own request activity is never exported, so a span parented to it would be dropped by a
        // parent-based sampler. Parent ours to the caller's remote context (kubelet sends traceparent) or make it a root.
        var incoming = Activity.Current;
        var parent = default(ActivityContext);
        if (incoming?.ParentId is { } parentId && ActivityContext.TryParse(parentId, incoming.TraceStateString, isRemote: true, out var remote))
        {
            parent = remote;
        }
        Activity.Current = null;
        var activity = CriTelemetry.Source.StartActivity(method, ActivityKind.Server, parent);
        if (activity is not null)
        {
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.method", method);
            var (podId, containerId) = RequestIds.Of(request);
            if (!string.IsNullOrEmpty(podId)) activity.SetTag("cri.pod_sandbox_id", podId);
            if (!string.IsNullOrEmpty(containerId)) activity.SetTag("cri.container_id", containerId);
        }
        return new TracedCall(method, activity);
    }

    private sealed class TracedCall(string method, Activity? activity) : IDisposable
    {
        private readonly long _started = Stopwatch.GetTimestamp();
        private StatusCode _code = StatusCode.OK;

        public void Fail(StatusCode code) => _code = code;

        public void Dispose()
        {
            var methodTag = new KeyValuePair<string, object?>("rpc.method", method);
            CriTelemetry.RpcDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, methodTag);
            if (_code != StatusCode.OK)
            {
                CriTelemetry.RpcErrors.Add(1, methodTag, new KeyValuePair<string, object?>("rpc.grpc.status_code", _code.ToString()));
                activity?.SetStatus(ActivityStatusCode.Error, _code.ToString());
            }
            activity?.SetTag("rpc.grpc.status_code", (int)_code);
            activity?.Dispose();
        }
    }
}
