using CriRuntime.Configuration;
using CriRuntime.Images;

namespace CriRuntime.Tests.Images;

public sealed class RegistryPlumbingTests
{
    [Fact]
    public void AuthChallenge_Bearer_ParsesQuotedParameters()
    {
        var challenge = AuthChallenge.Parse("Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"");

        Assert.NotNull(challenge);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Equal("https://auth.example/token", challenge["realm"]);
        Assert.Equal("registry.example", challenge["service"]);
        Assert.Equal("repository:a/b:pull,push", challenge["scope"]);
    }

    [Fact]
    public void AuthChallenge_Basic_RealmOnly()
    {
        var challenge = AuthChallenge.Parse("Basic realm=test");

        Assert.Equal("Basic", challenge!.Scheme);
        Assert.Equal("test", challenge["realm"]);
    }

    [Fact]
    public void Endpoints_MirrorsFirstThenLocation_CredentialsOnlyForTheRegistry()
    {
        var endpoints = new RegistryEndpoints(new ImageOptions
        {
            Registries = [new RegistryOptions("registry.k8s.io", "", false, "/ca.pem", ["http://127.0.0.1:5000", "https://m.example"])],
        }).For("registry.k8s.io");

        Assert.Equal(["http://127.0.0.1:5000/", "https://m.example/", "https://registry.k8s.io/"], endpoints.Select(e => e.BaseUri.ToString()));
        Assert.Equal([true, true, false], endpoints.Select(e => e.IsMirror));
        Assert.All(endpoints, e => Assert.Equal("/ca.pem", e.CaFile));
    }

    [Theory]
    [InlineData("docker.io", "https://registry-1.docker.io/", false)]
    [InlineData("127.0.0.1:5000", "https://127.0.0.1:5000/", false)]
    [InlineData("insecure.example", "http://insecure.example/", false)]
    [InlineData("selfsigned.example", "https://selfsigned.example/", true)]
    public void Endpoints_LocationSchemeFollowsInsecure(string registry, string expected, bool skipVerify)
    {
        var endpoints = new RegistryEndpoints(new ImageOptions
        {
            Registries =
            [
                new RegistryOptions("insecure.example", "", true, "", []),
                new RegistryOptions("selfsigned.example", "https://selfsigned.example", true, "", []),
            ],
        });

        var endpoint = Assert.Single(endpoints.For(registry));

        Assert.Equal(expected, endpoint.BaseUri.ToString());
        Assert.Equal(skipVerify, endpoint.SkipVerify);
    }

    [Fact]
    public void PlatformSelector_PicksLinuxOfTheArchitecture()
    {
        ContentDescriptor M(string digest, string os, string arch, string? variant = null) =>
            new() { Digest = digest, Platform = new Platform { Os = os, Architecture = arch, Variant = variant } };
        var manifests = new[] { M("w", "windows", "amd64"), M("a7", "linux", "arm", "v7"), M("a8", "linux", "arm64", "v8"), M("x", "linux", "amd64") };

        Assert.Equal("x", PlatformSelector.Select(manifests, "amd64", null)?.Digest);
        Assert.Equal("a8", PlatformSelector.Select(manifests, "arm64", "v8")?.Digest);
        Assert.Null(PlatformSelector.Select(manifests, "s390x", null));
    }

    [Fact]
    public void Credentials_AuthField_DecodesUserAndPassword()
    {
        var credentials = RegistryCredentials.From("", "", Convert.ToBase64String("bob:pa:ss"u8.ToArray()), "", "");

        Assert.Equal("bob", credentials!.Username);
        Assert.Equal("pa:ss", credentials.Password);
        Assert.Null(RegistryCredentials.From("", "", "", "", ""));
        Assert.DoesNotContain("pa:ss", credentials.ToString());
    }
}
