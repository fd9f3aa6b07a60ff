using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace CriRuntime.IntegrationTests.Harness;

/// <summary>
/// A registry token server (the realm of the distribution "token" auth): checks basic credentials and issues
/// RS256 JWTs with an x5c certificate the registry trusts through <see cref="RootCertFile"/>.
/// <code>
/// await using var tokens = TestTokenServer.Start(dir, "alice:s3cret");
/// await using var registry = await TestRegistry.StartAsync(tokenRealm: tokens.Realm, tokenRootCert: tokens.RootCertFile);
/// </code>
/// </summary>
public sealed class TestTokenServer : IAsyncDisposable
{
    public const string Service = "criruntime-test";
    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly string _credentials;
    private readonly Task _serving;
    private readonly List<string> _requests = [];

    /// <summary>An identity token the server accepts as an OAuth2 refresh_token (POST grant_type=refresh_token).</summary>
    public const string IdentityToken = "criruntime-test-refresh-token";

    private TestTokenServer(string dir, string credentials)
    {
        _credentials = credentials;
        var request = new CertificateRequest("CN=criruntime test token signer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        RootCertFile = Path.Combine(dir, $"token-signer-{Guid.NewGuid():N}.pem");
        File.WriteAllText(RootCertFile, _certificate.ExportCertificatePem());
        var port = FreePort();
        Realm = $"http://127.0.0.1:{port}/token";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Realm { get; }
    public string RootCertFile { get; }

    /// <summary>One line per token request: "Basic ok", "Basic bad" or "anonymous", then the scope.</summary>
    public IReadOnlyList<string> Requests
    {
        get { lock (_requests) return _requests.ToList(); }
    }

    /// <param name="credentials">"user:password" a token request must carry.</param>
    public static TestTokenServer Start(string dir, string credentials) => new(dir, credentials);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var response = context.Response;
            var header = context.Request.Headers["Authorization"];
            var ok = header == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(_credentials));
            var scope = context.Request.QueryString["scope"] ?? "";
            var kind = header is null ? "anonymous" : ok ? "Basic ok" : "Basic bad";
            if (context.Request.HttpMethod == "POST")
            {
                var form = System.Web.HttpUtility.ParseQueryString(await new StreamReader(context.Request.InputStream).ReadToEndAsync());
                ok = form["grant_type"] == "refresh_token" && form["refresh_token"] == IdentityToken;
                scope = form["scope"] ?? "";
                kind = ok ? "refresh ok" : "refresh bad";
            }
            lock (_requests) _requests.Add($"{kind} {scope}");
            if (!ok)
            {
                response.StatusCode = 401;
                continue;
            }
            var body = Encoding.UTF8.GetBytes(new JsonObject { ["token"] = Issue(_credentials.Split(':')[0], scope) }.ToJsonString());
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(body);
        }
    }

    private string Issue(string subject, string scope)
    {
        var access = new JsonArray();
        foreach (var item in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            // repository:name:pull,push (the name may itself hold no colon; the actions are last)
            var parts = item.Split(':');
            var actions = new JsonArray(parts[^1].Split(',').Select(a => (JsonNode)a!).ToArray());
            access.Add(new JsonObject { ["type"] = parts[0], ["name"] = string.Join(':', parts[1..^1]), ["actions"] = actions });
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)) };
        var claims = new JsonObject
        {
            ["iss"] = Service,
            ["sub"] = subject,
            ["aud"] = Service,
            ["exp"] = now + 300,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var signed = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signed + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
        _key.Dispose();
        _certificate.Dispose();
        File.Delete(RootCertFile);
    }
}
