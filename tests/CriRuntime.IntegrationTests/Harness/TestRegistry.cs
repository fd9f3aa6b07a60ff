using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CriRuntime.IntegrationTests.Harness;

/// <summary>
/// A real registry (Debian's docker-registry via hack/test-registry.sh) on a free loopback port, in a temp dir.
/// <code>
/// await using var registry = await TestRegistry.StartAsync();
/// await registry.PushBusyboxAsync("busybox:1");      // then pull "{registry.Host}/busybox:1" (config: registry.InsecureToml)
/// </code>
/// Images are built with real tools (umoci, skopeo: hack/build-test-image.sh) or pushed through the registry's
/// upload API (crafted layers, indexes). Disposing stops the registry and deletes its directory.
/// </summary>
public sealed class TestRegistry : IAsyncDisposable
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    private readonly HttpClient _http;

    private TestRegistry(string dir, string host, bool tls, string? credentials)
    {
        Dir = dir;
        Host = host;
        Tls = tls;
        Credentials = credentials;
        _http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        if (credentials is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }
    }

    /// <summary>127.0.0.1:PORT.</summary>
    public string Host { get; }
    public string Dir { get; }
    public bool Tls { get; }

    /// <summary>"user:password" when started with basic auth.</summary>
    public string? Credentials { get; }

    /// <summary>The CA that signed the registry's certificate (with tls).</summary>
    public string CaFile => Path.Combine(Dir, "ca.pem");
    public string BaseUrl => (Tls ? "https://" : "http://") + Host;

    /// <summary>Daemon config that lets criruntime pull from this registry over plain HTTP.</summary>
    public string InsecureToml => $"[[image.registries]]\nprefix = \"{Host}\"\ninsecure = true\n";

    /// <summary>The registry's log, including one access-log line per request.</summary>
    public string Log => File.ReadAllText(Path.Combine(Dir, "registry.log"));

    /// <param name="credentials">"user:password" to require basic auth (htpasswd).</param>
    /// <param name="tokenRealm">With <paramref name="tokenRootCert"/>: require bearer tokens from this realm.</param>
    public static async Task<TestRegistry> StartAsync(bool tls = false, string? credentials = null, string? tokenRealm = null, string? tokenRootCert = null)
    {
        var dir = Directory.CreateTempSubdirectory("criruntime-registry-").FullName;
        var args = new List<string> { "start", dir };
        if (tls) args.Add("--tls");
        if (credentials is not null) args.AddRange(["--htpasswd", credentials]);
        if (tokenRealm is not null) args.AddRange(["--token", tokenRealm, tokenRootCert!]);
        var (code, output) = await RunAsync(Script("test-registry.sh"), args, null);
        if (code != 0)
        {
            Directory.Delete(dir, recursive: true);
            throw new InvalidOperationException("test-registry.sh failed: " + output);
        }
        return new TestRegistry(dir, output.Split('\n').Last(l => l.StartsWith("127.0.0.1:", StringComparison.Ordinal)).Trim(), tls, credentials);
    }

    /// <summary>busybox-static with hard-linked applets, pushed as repo:tag; <paramref name="user"/> sets the config's User.</summary>
    /// <param name="dockerFormat">Docker schema 2 media types (what most of Docker Hub serves) instead of OCI.</param>
    public Task PushBusyboxAsync(string repoTag, string? user = null, bool dockerFormat = false) =>
        BuildAsync(user is null ? ["busybox", $"{Host}/{repoTag}"] : ["busybox", $"{Host}/{repoTag}", user], dockerFormat ? "v2s2" : null);

    /// <summary>The busybox image with more `umoci config` arguments, e.g. "--config.entrypoint", "/bin/echo".</summary>
    public Task PushBusyboxAsync(string repoTag, params string[] umociConfig) =>
        BuildAsync(["busybox-config", $"{Host}/{repoTag}", .. umociConfig]);

    /// <summary>A pause image (hack/build-pause-image.sh: our static pause binary as /pause, user 65535) pushed as repo:tag.</summary>
    public void PushPause(string repoTag, string pauseBinary)
    {
        var work = Directory.CreateTempSubdirectory("criruntime-pause-image-").FullName;
        try
        {
            HostCommand.Check(Script("build-pause-image.sh"), pauseBinary, Path.Combine(work, "pause.tar"));
            Directory.CreateDirectory(Path.Combine(work, "oci"));
            HostCommand.Check("tar", "-C", Path.Combine(work, "oci"), "-xf", Path.Combine(work, "pause.tar"));
            HostCommand.Check("skopeo", "copy", "-q", "--dest-tls-verify=false", $"oci:{work}/oci:bench", $"docker://{Host}/{repoTag}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>An image of <paramref name="layers"/> layers of random data totalling <paramref name="sizeMb"/> MB.</summary>
    public Task PushRandomAsync(string repoTag, int sizeMb, int layers) =>
        BuildAsync(["random", $"{Host}/{repoTag}", sizeMb.ToString(), layers.ToString()]);

    /// <summary>Pushes an image whose layers are the given tar archives (gzip-compressed here); returns the manifest digest.</summary>
    /// <param name="compression">Per layer: "gzip" (default), "zstd" (with the zstd tool) or "none".</param>
    public async Task<string> PushLayersAsync(string repoTag, IReadOnlyList<byte[]> tars, string architecture = "amd64", string? user = null,
        IReadOnlyList<string>? compression = null)
    {
        var (repo, tag) = Split(repoTag);
        var layers = new JsonArray();
        var diffIds = new JsonArray();
        for (var i = 0; i < tars.Count; i++)
        {
            var (blob, mediaType) = await CompressAsync(tars[i], compression?[i] ?? "gzip");
            layers.Add(Descriptor(mediaType, await PushBlobAsync(repo, blob), blob.Length));
            diffIds.Add(Sha256(tars[i]));
        }
        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("sh"), ["User"] = user },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds },
        };
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciManifest,
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", await PushBlobAsync(repo, configBytes), configBytes.Length),
            ["layers"] = layers,
        };
        return await PushManifestAsync(repo, tag, OciManifest, Encoding.UTF8.GetBytes(manifest.ToJsonString()));
    }

    /// <summary>An index over manifests already in <paramref name="repo"/>: (digest, architecture) pairs; returns its digest.</summary>
    public async Task<string> PushIndexAsync(string repo, string tag, params (string Digest, string Architecture)[] manifests)
    {
        var entries = new JsonArray();
        foreach (var (digest, arch) in manifests)
        {
            var (body, _) = await GetManifestAsync(repo, digest);
            var entry = Descriptor(OciManifest, digest, body.Length);
            entry["platform"] = new JsonObject { ["architecture"] = arch, ["os"] = "linux" };
            entries.Add(entry);
        }
        var index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciIndex, ["manifests"] = entries };
        return await PushManifestAsync(repo, tag, OciIndex, Encoding.UTF8.GetBytes(index.ToJsonString()));
    }

    public async Task<(byte[] Body, string Digest)> GetManifestAsync(string repo, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{BaseUrl}/v2/{repo}/manifests/{reference}");
        request.Headers.Accept.ParseAdd($"{OciManifest}, {OciIndex}, application/vnd.docker.distribution.manifest.v2+json");
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsByteArrayAsync();
        return (body, Sha256(body));
    }

    /// <summary>The config digest (the image id CRI reports) and layer digests of repo:reference.</summary>
    public async Task<(string ConfigDigest, string[] Layers)> GetImageAsync(string repo, string reference)
    {
        var manifest = JsonNode.Parse((await GetManifestAsync(repo, reference)).Body)!;
        return (manifest["config"]!["digest"]!.GetValue<string>(),
            manifest["layers"]!.AsArray().Select(l => l!["digest"]!.GetValue<string>()).ToArray());
    }

    /// <summary>Where the registry keeps a blob on disk (to corrupt it).</summary>
    public string BlobDataPath(string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(Dir, "data", "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }

    /// <summary>How many GET requests for this blob the registry answered (from its access log).</summary>
    public int CountBlobGets(string digest) =>
        Log.Split('\n').Count(l => l.Contains("\"GET /v2/", StringComparison.Ordinal) && l.Contains("/blobs/" + digest, StringComparison.Ordinal));

    public async Task<string> PushBlobAsync(string repo, byte[] blob)
    {
        var digest = Sha256(blob);
        using var start = await _http.PostAsync($"{BaseUrl}/v2/{repo}/blobs/uploads/", null);
        start.EnsureSuccessStatusCode();
        var location = start.Headers.Location!;
        var upload = location.IsAbsoluteUri ? location : new Uri(new Uri(BaseUrl), location);
        var separator = upload.Query.Length > 0 ? "&" : "?";
        using var content = new ByteArrayContent(blob);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await _http.PutAsync($"{upload}{separator}digest={digest}", content);
        put.EnsureSuccessStatusCode();
        return digest;
    }

    public async Task<string> PushManifestAsync(string repo, string tag, string mediaType, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await _http.PutAsync($"{BaseUrl}/v2/{repo}/manifests/{tag}", content);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"push manifest {repo}:{tag}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return Sha256(body);
    }

    public static string Sha256(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await RunAsync(Script("test-registry.sh"), ["stop", Dir], null);
        Directory.Delete(Dir, recursive: true);
    }

    private async Task BuildAsync(IReadOnlyList<string> args, string? format = null)
    {
        var (code, output) = await RunAsync(Script("build-test-image.sh"), args, Credentials, format);
        if (code != 0) throw new InvalidOperationException("build-test-image.sh failed: " + output);
    }

    private static async Task<(byte[] Blob, string MediaType)> CompressAsync(byte[] tar, string compression)
    {
        switch (compression)
        {
            case "none":
                return (tar, "application/vnd.oci.image.layer.v1.tar");
            case "zstd":
                var info = new ProcessStartInfo("zstd", ["-q", "-c"]) { RedirectStandardInput = true, RedirectStandardOutput = true };
                using (var process = Process.Start(info)!)
                {
                    var output = new MemoryStream();
                    var reading = process.StandardOutput.BaseStream.CopyToAsync(output);
                    await process.StandardInput.BaseStream.WriteAsync(tar);
                    process.StandardInput.Close();
                    await reading;
                    await process.WaitForExitAsync();
                    return (output.ToArray(), "application/vnd.oci.image.layer.v1.tar+zstd");
                }
            default:
                using (var compressed = new MemoryStream())
                {
                    using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                    {
                        gzip.Write(tar);
                    }
                    return (compressed.ToArray(), "application/vnd.oci.image.layer.v1.tar+gzip");
                }
        }
    }

    private static JsonObject Descriptor(string mediaType, string digest, long size) =>
        new() { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };

    private static (string Repo, string Tag) Split(string repoTag)
    {
        var colon = repoTag.LastIndexOf(':');
        return colon < 0 ? (repoTag, "latest") : (repoTag[..colon], repoTag[(colon + 1)..]);
    }

    private static string Script(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CriRuntime.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "hack", name);
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args, string? credentials, string? format = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        if (credentials is not null) info.Environment["DEST_CREDS"] = credentials;
        if (format is not null) info.Environment["FORMAT"] = format;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
