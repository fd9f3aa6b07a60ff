using System.Net;
using System.Net.Sockets;
using System.Text;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Xunit.Abstractions;
using static CriRuntime.IntegrationTests.Images.PullImageTests;

namespace CriRuntime.IntegrationTests.Images;

/// <summary>
/// A registry front that wants basic auth and redirects blob downloads to a storage host with another authority,
/// as Docker Hub (to Cloudflare) or a registry on S3 does: the credentials must not follow the redirect.
/// </summary>
public sealed class BlobRedirectTests(ITestOutputHelper output)
{
    private const string Credentials = "alice:pw";

    [Fact]
    public async Task PullImage_BlobRedirectToOtherHost_NoAuthorizationFollows()
    {
        await using var registry = await TestRegistry.StartAsync();
        await registry.PushBusyboxAsync("busybox:1");
        using var http = new HttpClient();
        var storagePort = FreePort();
        var storageHeaders = new List<string?>();
        using var storage = Serve($"http://localhost:{storagePort}/", async context =>
        {
            lock (storageHeaders) storageHeaders.Add(context.Request.Headers["Authorization"]);
            await CopyFromAsync(http, $"{registry.BaseUrl}{context.Request.Url!.AbsolutePath}", null, context.Response);
        });
        var frontPort = FreePort();
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Credentials));
        using var front = Serve($"http://127.0.0.1:{frontPort}/", async context =>
        {
            var path = context.Request.Url!.AbsolutePath;
            if (context.Request.Headers["Authorization"] != expected)
            {
                context.Response.StatusCode = 401;
                context.Response.AddHeader("WWW-Authenticate", "Basic realm=\"front\"");
            }
            else if (path.Contains("/blobs/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 307;
                context.Response.RedirectLocation = $"http://localhost:{storagePort}{path}";
            }
            else
            {
                await CopyFromAsync(http, registry.BaseUrl + path, context.Request.Headers["Accept"], context.Response);
            }
        });
        await using var daemon = await CriDaemon.StartAsync(output, s => s.ExtraToml.Append($"[[image.registries]]\nprefix = \"127.0.0.1:{frontPort}\"\ninsecure = true\n"));

        var id = await Pull(daemon, $"127.0.0.1:{frontPort}/busybox:1", new AuthConfig { Username = "alice", Password = "pw" });

        Assert.StartsWith("sha256:", id);
        lock (storageHeaders)
        {
            Assert.Equal(2, storageHeaders.Count); // the config and the layer
            Assert.All(storageHeaders, Assert.Null);
        }
    }

    private static async Task CopyFromAsync(HttpClient http, string url, string? accept, HttpListenerResponse response)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        using var upstream = await http.SendAsync(request);
        response.StatusCode = (int)upstream.StatusCode;
        response.ContentType = upstream.Content.Headers.ContentType?.ToString();
        var body = await upstream.Content.ReadAsByteArrayAsync();
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
    }

    private static HttpListener Serve(string prefix, Func<HttpListenerContext, Task> handle)
    {
        var listener = new HttpListener();
        listener.Prefixes.Add(prefix);
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                try
                {
                    await handle(context);
                }
                finally
                {
                    context.Response.Close();
                }
            }
        });
        return listener;
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
