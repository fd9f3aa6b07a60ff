using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using CriRuntime.Errors;

namespace CriRuntime.Images;

/// <summary>
/// One HttpClient per TLS setting (system trust, system plus a registry's CA file, or unverified), reused across
/// pulls so connections are pooled. Redirects are not followed automatically: <see cref="RegistrySession"/>
/// follows them itself so that credentials never travel to the host a redirect points at.
/// </summary>
internal sealed class RegistryHttpClients : IDisposable
{
    private readonly Dictionary<(string CaFile, bool SkipVerify), HttpClient> _clients = new();

    public HttpClient For(RegistryEndpoint endpoint)
    {
        lock (_clients)
        {
            var key = (endpoint.CaFile, endpoint.SkipVerify);
            if (!_clients.TryGetValue(key, out var client))
            {
                client = Create(LoadCa(endpoint.CaFile), endpoint.SkipVerify);
                _clients[key] = client;
            }
            return client;
        }
    }

    private static X509Certificate2Collection? LoadCa(string caFile)
    {
        if (caFile.Length == 0) return null;
        try
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            return roots.Count > 0 ? roots : throw new FailedPreconditionException($"ca_file {caFile} holds no PEM certificate");
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException)
        {
            throw new FailedPreconditionException($"ca_file {caFile} cannot be read: {e.Message}", e);
        }
    }

    private static HttpClient Create(X509Certificate2Collection? roots, bool skipVerify)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            UseCookies = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    skipVerify || errors == SslPolicyErrors.None || TrustedByCustomRoots(roots, certificate, chain, errors),
            },
        };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, DefaultRequestVersion = HttpVersion.Version11 };
    }

    // The configured CA is trusted in addition to the system's; a host name mismatch stays fatal.
    private static bool TrustedByCustomRoots(X509Certificate2Collection? roots, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (roots is null || certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    public void Dispose()
    {
        lock (_clients)
        {
            foreach (var client in _clients.Values) client.Dispose();
            _clients.Clear();
        }
    }
}
