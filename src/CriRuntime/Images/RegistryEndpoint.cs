using CriRuntime.Configuration;

namespace CriRuntime.Images;

/// <summary>One place an image can be fetched from: a mirror or the registry itself.</summary>
/// <param name="BaseUri">scheme://host[:port][/path], under which /v2/ lives.</param>
/// <param name="SkipVerify">TLS without certificate verification (an https:// location of an insecure registry).</param>
/// <param name="CaFile">An extra trusted CA bundle, or empty.</param>
/// <param name="IsMirror">Mirrors never receive the pull's credentials.</param>
internal sealed record RegistryEndpoint(Uri BaseUri, bool SkipVerify, string CaFile, bool IsMirror)
{
    public override string ToString() => BaseUri.GetLeftPart(UriPartial.Authority) + (IsMirror ? " (mirror)" : "");
}

/// <summary>Maps a reference's registry host to the endpoints to try, in order, from the [image] config.</summary>
internal sealed class RegistryEndpoints(ImageOptions options)
{
    // Docker Hub's API is not served at docker.io itself.
    private const string DockerHubApiHost = "registry-1.docker.io";

    public IReadOnlyList<RegistryEndpoint> For(string registry)
    {
        var entry = options.Registries.FirstOrDefault(r => string.Equals(r.Prefix, registry, StringComparison.OrdinalIgnoreCase));
        var endpoints = new List<RegistryEndpoint>();
        foreach (var mirror in entry?.Mirrors ?? [])
        {
            endpoints.Add(new RegistryEndpoint(new Uri(mirror), entry!.Insecure, entry.CaFile, IsMirror: true));
        }
        var location = entry is { Location.Length: > 0 } ? entry.Location
            : registry == ImageReference.DockerHub ? DockerHubApiHost : registry;
        var insecure = entry?.Insecure ?? false;
        var uri = location.Contains("://", StringComparison.Ordinal)
            ? new Uri(location)
            : new Uri((insecure ? "http://" : "https://") + location);
        endpoints.Add(new RegistryEndpoint(uri, insecure && uri.Scheme == "https", entry?.CaFile ?? "", IsMirror: false));
        return endpoints;
    }
}
