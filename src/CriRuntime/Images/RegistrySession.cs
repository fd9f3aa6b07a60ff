using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CriRuntime.Errors;
using CriRuntime.Storage;

namespace CriRuntime.Images;

/// <summary>
/// Talks the distribution API to one endpoint for one repository during one pull: manifests, blobs, the
/// Basic and Bearer challenge flows, and redirects. The Authorization header is only ever sent to the endpoint's
/// own scheme://host:port; a redirect elsewhere (blob storage) goes without it.
/// </summary>
internal sealed class RegistrySession(HttpClient http, RegistryEndpoint endpoint, string repository, RegistryCredentials? credentials)
{
    private const int MaxManifestBytes = 4 * 1024 * 1024;
    private const int MaxRedirects = 5;

    // Pulls run detached from the caller's deadline (others may attach), so a stalled registry must fail on its own:
    // headers and small bodies within RequestTimeout, and blob bodies never silent for longer than StallTimeout.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(120);
    private AuthenticationHeaderValue? _authorization;

    public RegistryEndpoint Endpoint => endpoint;

    /// <summary>Fetches a manifest or index by tag or digest; returns its bytes, media type and digest.</summary>
    public async Task<(byte[] Body, string MediaType, string Digest)> GetManifestAsync(string reference, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(Url("manifests/" + reference), MediaTypes.Manifests, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, $"manifest {repository}:{reference}", cancellationToken).ConfigureAwait(false);
        var body = await ReadLimitedAsync(response, MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        var digest = Storage.Digest.Of(body);
        if (reference.Contains(':') && reference != digest)
        {
            throw new OperationFailedException($"manifest {repository}@{reference} from {endpoint}: digest mismatch: got {digest}");
        }
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        if (!MediaTypes.Manifests.Contains(mediaType))
        {
            // Some registries answer application/json; the document says what it is.
            mediaType = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.ManifestDocument)?.MediaType ?? mediaType;
        }
        return (body, mediaType, digest);
    }

    /// <summary>A small blob (an image config) in memory, verified.</summary>
    public async Task<byte[]> GetBlobAsync(ContentDescriptor blob, CancellationToken cancellationToken)
    {
        if (blob.Size is < 0 or > MaxManifestBytes) throw new OperationFailedException($"blob {blob.Digest}: size {blob.Size} is not plausible for a config");
        await using var stream = await OpenBlobAsync(blob.Digest, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var verified = new DigestingStream(stream, blob.Size, buffer, $"blob {blob.Digest} from {endpoint}");
        await verified.VerifyAsync(blob.Digest, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>The body of a blob as a stream; disposing it ends the response.</summary>
    public async Task<Stream> OpenBlobAsync(string digest, CancellationToken cancellationToken)
    {
        var response = await SendAsync(Url("blobs/" + digest), null, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureSuccessAsync(response, $"blob {digest}", cancellationToken).ConfigureAwait(false);
            return new ResponseStream(response, await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private Uri Url(string path)
    {
        var baseUri = endpoint.BaseUri.AbsoluteUri.TrimEnd('/');
        return new Uri($"{baseUri}/v2/{repository}/{path}");
    }

    private async Task<HttpResponseMessage> SendAsync(Uri url, string[]? accept, CancellationToken cancellationToken)
    {
        var response = await SendFollowingRedirectsAsync(url, accept, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;
        var challenge = response.Headers.WwwAuthenticate.FirstOrDefault()?.ToString();
        response.Dispose();
        if (challenge is null || !await AuthenticateAsync(challenge, cancellationToken).ConfigureAwait(false))
        {
            throw new OperationFailedException($"pull from {endpoint}: unauthorized ({(credentials is null ? "no credentials given" : "credentials rejected")})");
        }
        return await SendFollowingRedirectsAsync(url, accept, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(Uri url, string[]? accept, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            foreach (var type in accept ?? []) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            if (IsEndpointOrigin(url)) request.Headers.Authorization = _authorization;
            var response = await SendOrExplainAsync(request, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308)) return response;
            var location = response.Headers.Location;
            response.Dispose();
            if (location is null || hop == MaxRedirects) throw new OperationFailedException($"{url}: too many or empty redirects");
            url = location.IsAbsoluteUri ? location : new Uri(url, location);
        }
    }

    private async Task<HttpResponseMessage> SendOrExplainAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new OperationFailedException($"{request.RequestUri}: {e.Message}{(e.InnerException is { } inner ? ": " + inner.Message : "")}", e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OperationFailedException($"{request.RequestUri}: no response within {RequestTimeout.TotalSeconds:F0}s");
        }
    }

    private bool IsEndpointOrigin(Uri url) =>
        url.Scheme == endpoint.BaseUri.Scheme && url.Authority.Equals(endpoint.BaseUri.Authority, StringComparison.OrdinalIgnoreCase);

    // Returns false when there is nothing (new) to try.
    private async Task<bool> AuthenticateAsync(string header, CancellationToken cancellationToken)
    {
        var challenge = AuthChallenge.Parse(header);
        if (_authorization is not null || challenge is null) return false;
        if (credentials is { RegistryToken.Length: > 0 })
        {
            _authorization = new AuthenticationHeaderValue("Bearer", credentials.RegistryToken);
            return true;
        }
        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (credentials is not { HasBasic: true }) return false;
            _authorization = new AuthenticationHeaderValue("Basic", credentials.BasicHeaderValue);
            return true;
        }
        if (!challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || challenge["realm"] is not { } realm) return false;
        var token = await FetchTokenAsync(realm, challenge["service"], challenge["scope"] ?? $"repository:{repository}:pull", cancellationToken).ConfigureAwait(false);
        _authorization = new AuthenticationHeaderValue("Bearer", token);
        return true;
    }

    // The token server is the one the registry names; credentials go to it only over TLS, unless the
    // registry itself was configured as plain HTTP.
    private async Task<string> FetchTokenAsync(string realm, string? service, string scope, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("http" or "https"))
        {
            throw new OperationFailedException($"pull from {endpoint}: bad token realm \"{realm}\"");
        }
        var sendCredentials = credentials is not null && (realmUri.Scheme == "https" || endpoint.BaseUri.Scheme == "http");
        var query = (service is null ? "" : "service=" + Uri.EscapeDataString(service) + "&") + "scope=" + Uri.EscapeDataString(scope);
        using var request = new HttpRequestMessage();
        if (sendCredentials && credentials!.IdentityToken.Length > 0)
        {
            request.Method = HttpMethod.Post;
            request.RequestUri = realmUri;
            request.Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "refresh_token",
                ["refresh_token"] = credentials.IdentityToken,
                ["service"] = service ?? "",
                ["scope"] = scope,
                ["client_id"] = "criruntime",
            });
        }
        else
        {
            request.Method = HttpMethod.Get;
            request.RequestUri = new Uri(realm + (realm.Contains('?') ? "&" : "?") + query);
            if (sendCredentials && credentials!.HasBasic) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials.BasicHeaderValue);
        }
        using var response = await SendOrExplainAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "token from " + realmUri.GetLeftPart(UriPartial.Path), cancellationToken).ConfigureAwait(false);
        var body = await ReadLimitedAsync(response, 1024 * 1024, cancellationToken).ConfigureAwait(false);
        var token = JsonSerializer.Deserialize(body, RegistryJsonContext.Default.TokenResponse);
        return token?.Token ?? token?.AccessToken ?? throw new OperationFailedException($"token server {realmUri.Host} returned no token");
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var detail = System.Text.Encoding.UTF8.GetString(await ReadLimitedAsync(response, 64 * 1024, cancellationToken, truncate: true).ConfigureAwait(false));
        if (detail.Length > 300) detail = detail[..300];
        var message = $"{what} from {endpoint}: {(int)response.StatusCode} {response.ReasonPhrase} {detail.Trim()}";
        throw response.StatusCode == HttpStatusCode.NotFound ? new NotFoundException(message) : new OperationFailedException(message);
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, int limit, CancellationToken cancellationToken, bool truncate = false)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        cancellationToken = timeout.Token;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > limit)
            {
                if (truncate) break;
                throw new OperationFailedException($"{response.RequestMessage?.RequestUri}: response larger than {limit} bytes");
            }
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>Owns the response so that disposing the body stream releases the connection.</summary>
    private sealed class ResponseStream(HttpResponseMessage response, Stream inner) : Stream
    {
        private readonly CancellationTokenSource _stall = new();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _stall.CancelAfter(StallTimeout); // re-arms the one timer on every read
            using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stall.Token) : null;
            try
            {
                return await inner.ReadAsync(buffer, linked?.Token ?? _stall.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stall.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new OperationFailedException($"{response.RequestMessage?.RequestUri}: no data for {StallTimeout.TotalSeconds:F0}s");
            }
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
                _stall.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
