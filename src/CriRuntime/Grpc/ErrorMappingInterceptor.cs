using CriRuntime.Errors;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace CriRuntime.Grpc;

/// <summary>The one place where domain errors become gRPC status codes.</summary>
internal sealed partial class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException || IsBareUnimplemented(e))
        {
            throw Map(e, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException || IsBareUnimplemented(e))
        {
            throw Map(e, context);
        }
    }

    // The generated service bases answer UNIMPLEMENTED with an empty message; say which RPC.
    private static bool IsBareUnimplemented(Exception e) =>
        e is RpcException { StatusCode: StatusCode.Unimplemented } r && string.IsNullOrEmpty(r.Status.Detail);

    private RpcException Map(Exception e, ServerCallContext context)
    {
        var (code, message) = e switch
        {
            RpcException => (StatusCode.Unimplemented, $"criruntime does not implement {context.Method}"),
            NotFoundException => (StatusCode.NotFound, e.Message),
            AlreadyExistsException => (StatusCode.AlreadyExists, e.Message),
            InvalidArgumentException => (StatusCode.InvalidArgument, e.Message),
            FailedPreconditionException => (StatusCode.FailedPrecondition, e.Message),
            UnimplementedException => (StatusCode.Unimplemented, e.Message),
            DeadlineExceededException => (StatusCode.DeadlineExceeded, e.Message),
            ResourceExhaustedException => (StatusCode.ResourceExhausted, e.Message),
            OperationCanceledException when context.CancellationToken.IsCancellationRequested =>
                (StatusCode.Cancelled, "the client cancelled the call"),
            OperationFailedException => (StatusCode.Internal, e.Message),
            _ => (StatusCode.Internal, "internal error: " + e.Message),
        };
        if (code == StatusCode.Internal)
        {
            LogInternal(logger, e, context.Method);
        }
        return new RpcException(new Status(code, message));
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "{Method} failed")]
    private static partial void LogInternal(ILogger logger, Exception e, string method);
}
