using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.Configuration;
using CriRuntime.Errors;
using CriRuntime.Images;
using CriRuntime.Storage;
using Grpc.Core;

namespace CriRuntime.Grpc;

/// <summary>The CRI ImageService: pull, list, status, remove, and image filesystem usage.</summary>
internal sealed class ImageGrpcService(DaemonOptions options, ImagePuller puller, LocalImages images) : ImageService.ImageServiceBase
{
    public override async Task<PullImageResponse> PullImage(PullImageRequest request, ServerCallContext context)
    {
        var reference = ImageReference.Parse(RequireImage(request.Image), options.Image.DefaultRegistry);
        var auth = request.Auth;
        var credentials = auth is null ? null
            : RegistryCredentials.From(auth.Username, auth.Password, auth.Auth, auth.IdentityToken, auth.RegistryToken);
        var image = await puller.PullAsync(reference, credentials, context.CancellationToken);
        return new PullImageResponse { ImageRef = image.Id };
    }

    public override Task<ListImagesResponse> ListImages(ListImagesRequest request, ServerCallContext context)
    {
        var response = new ListImagesResponse();
        response.Images.AddRange(images.List(request.Filter?.Image?.Image).Select(ToCri));
        return Task.FromResult(response);
    }

    public override Task<ImageStatusResponse> ImageStatus(ImageStatusRequest request, ServerCallContext context)
    {
        var response = new ImageStatusResponse();
        // CRI: an image that is not present is an empty response, not an error.
        if (images.Resolve(RequireImage(request.Image)) is { } image)
        {
            response.Image = ToCri(image);
            if (request.Verbose) response.Info["info"] = VerboseInfo(image, images.RawConfig(image));
        }
        return Task.FromResult(response);
    }

    public override Task<RemoveImageResponse> RemoveImage(RemoveImageRequest request, ServerCallContext context)
    {
        images.Remove(RequireImage(request.Image));
        return Task.FromResult(new RemoveImageResponse());
    }

    public override Task<ImageFsInfoResponse> ImageFsInfo(ImageFsInfoRequest request, ServerCallContext context)
    {
        var (imageFs, containerFs) = images.Usage();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        return Task.FromResult(new ImageFsInfoResponse
        {
            ImageFilesystems = { Usage(now, imageFs) },
            ContainerFilesystems = { Usage(now, containerFs) },
        });
    }

    private static FilesystemUsage Usage(long timestamp, (ulong Bytes, ulong Inodes, string Path) usage) => new()
    {
        Timestamp = timestamp,
        FsId = new FilesystemIdentifier { Mountpoint = usage.Path },
        UsedBytes = new UInt64Value { Value = usage.Bytes },
        InodesUsed = new UInt64Value { Value = usage.Inodes },
    };

    private static string RequireImage(ImageSpec? spec) =>
        spec is { Image.Length: > 0 } ? spec.Image : throw new InvalidArgumentException("image.image must name an image");

    private static Image ToCri(StoredImage image)
    {
        var (uid, username) = image.User;
        var result = new Image
        {
            Id = image.Id,
            RepoTags = { image.Record.RepoTags },
            RepoDigests = { image.Record.RepoDigests },
            Size = (ulong)image.Record.Size,
            Username = username,
            Spec = new ImageSpec { Image = image.Id },
            Pinned = image.Record.Pinned,
        };
        if (uid is { } u) result.Uid = new Int64Value { Value = u };
        return result;
    }

    // As containerd's verbose ImageStatus: the top chain id and the image config under "imageSpec".
    private static string VerboseInfo(StoredImage image, byte[] rawConfig)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("chainID", image.Record.Layers.Count > 0 ? image.Record.Layers[^1].ChainId : "");
            writer.WritePropertyName("imageSpec");
            writer.WriteRawValue(rawConfig); // verified against the image id when it was pulled
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
