using CriRuntime.Api.V1;

namespace CriRuntime.Grpc;

/// <summary>
/// The CRI RuntimeService. Thin: validates requests, calls the domain service that owns the concept and
/// translates the result. One partial file per concept (runtime info, sandboxes, containers, streaming, stats).
/// RPCs not overridden answer UNIMPLEMENTED with a message naming them (see ErrorMappingInterceptor).
/// </summary>
internal sealed partial class RuntimeGrpcService : RuntimeService.RuntimeServiceBase
{
}
