using CriRuntime.Api.V1;
using CriRuntime.Errors;
using Google.Protobuf;
using Grpc.Core;

namespace CriRuntime.Grpc;

// ExecSync, Exec, Attach, PortForward: the interactive RPCs (docs/streaming.md).
internal sealed partial class RuntimeGrpcService
{
    /// <summary>Timeout → DEADLINE_EXCEEDED, which kubelet reads as a timed-out probe (as with containerd and CRI-O).</summary>
    public override async Task<ExecSyncResponse> ExecSync(ExecSyncRequest request, ServerCallContext context)
    {
        var r = await _streaming.ExecSyncAsync(request.ContainerId, request.Cmd, request.Timeout, context.CancellationToken);
        return new ExecSyncResponse
        {
            Stdout = UnsafeByteOperations.UnsafeWrap(r.Stdout),
            Stderr = UnsafeByteOperations.UnsafeWrap(r.Stderr),
            ExitCode = r.ExitCode,
        };
    }

    public override Task<ExecResponse> Exec(ExecRequest request, ServerCallContext context) =>
        Task.FromResult(new ExecResponse { Url = _streaming.ExecUrl(request.ContainerId, request.Cmd, request.Tty, request.Stdin, request.Stdout, request.Stderr) });

    public override Task<AttachResponse> Attach(AttachRequest request, ServerCallContext context) =>
        Task.FromResult(new AttachResponse { Url = _streaming.AttachUrl(request.ContainerId, request.Tty, request.Stdin, request.Stdout, request.Stderr) });

    public override Task<PortForwardResponse> PortForward(PortForwardRequest request, ServerCallContext context)
    {
        if (request.PodSandboxId.Length == 0) throw new InvalidArgumentException("pod_sandbox_id is required");
        return Task.FromResult(new PortForwardResponse { Url = _streaming.PortForwardUrl(request.PodSandboxId, request.Port) });
    }
}
