using CriRuntime.Api.V1;

namespace CriRuntime.Bench;

/// <summary>Small steps scenarios share: start a pod, put a container in it, tear both down.</summary>
internal static class PodLifecycle
{
    public static async Task<string> RunPodAsync(CriEndpoint e, PodSandboxConfig config, CancellationToken ct) =>
        (await e.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config }, cancellationToken: ct)).PodSandboxId;

    public static async Task<string> StartContainerAsync(CriEndpoint e, string podId, PodSandboxConfig pod, ContainerConfig config, CancellationToken ct)
    {
        var id = (await e.Runtime.CreateContainerAsync(new CreateContainerRequest
        {
            PodSandboxId = podId,
            Config = config,
            SandboxConfig = pod,
        }, cancellationToken: ct)).ContainerId;
        await e.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: ct);
        return id;
    }

    public static async Task RemovePodAsync(CriEndpoint e, string podId, CancellationToken ct)
    {
        await e.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = podId }, cancellationToken: ct);
        await e.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = podId }, cancellationToken: ct);
    }

    public static async Task EnsureImageAsync(CriEndpoint e, string image, CancellationToken ct)
    {
        var status = await e.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = image } }, cancellationToken: ct);
        if (status.Image is null)
        {
            await e.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image } }, cancellationToken: ct);
        }
    }
}
