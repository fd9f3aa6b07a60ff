using CriRuntime.IntegrationTests.Harness;
using Xunit;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>
/// One registry with the container tests' images, built once for the whole "containers" collection (building and
/// pushing with umoci and skopeo takes seconds; each test still gets a daemon of its own).
/// </summary>
public sealed class ContainerImages : IAsyncLifetime
{
    public TestRegistry Registry { get; private set; } = null!;
    public string Busybox => $"{Registry.Host}/busybox:1";

    /// <summary>ENTRYPOINT ["/bin/echo", "ep"], CMD ["default"], WorkingDir /etc, Env FROM_IMAGE=img.</summary>
    public string Entrypoint => $"{Registry.Host}/entrypoint:1";

    /// <summary>busybox with User "nobody".</summary>
    public string Nobody => $"{Registry.Host}/nobody:1";

    /// <summary>busybox with StopSignal SIGUSR1.</summary>
    public string Usr1 => $"{Registry.Host}/usr1:1";

    public async Task InitializeAsync()
    {
        Registry = await TestRegistry.StartAsync();
        await Registry.PushBusyboxAsync("busybox:1");
        await Registry.PushBusyboxAsync("entrypoint:1", "--config.entrypoint", "/bin/echo", "--config.entrypoint", "ep",
            "--clear", "config.cmd", "--config.cmd", "default", "--config.workingdir", "/etc", "--config.env", "FROM_IMAGE=img");
        await Registry.PushBusyboxAsync("nobody:1", "nobody");
        await Registry.PushBusyboxAsync("usr1:1", "--config.stopsignal", "SIGUSR1");
    }

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

[CollectionDefinition("containers")]
public sealed class ContainersCollection : ICollectionFixture<ContainerImages>;
