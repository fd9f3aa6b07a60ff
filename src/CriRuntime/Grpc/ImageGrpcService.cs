using CriRuntime.Api.V1;

namespace CriRuntime.Grpc;

/// <summary>The CRI ImageService. RPCs not overridden answer UNIMPLEMENTED with a message naming them.</summary>
internal sealed partial class ImageGrpcService : ImageService.ImageServiceBase
{
}
