using CriRuntime.Api.V1;

namespace CriRuntime.Bench;

/// <summary>The pod and container configs every scenario uses, the same for every runtime.</summary>
internal static class CriConfigs
{
    public static PodSandboxConfig Pod(BenchSettings settings, string name)
    {
        var uid = Guid.NewGuid().ToString();
        var logDir = Path.Combine(settings.WorkDir, "logs", uid);
        Directory.CreateDirectory(logDir);
        return new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = $"{name}-{settings.RunId}", Uid = uid, Namespace = "bench", Attempt = 0 },
            Hostname = name.Length > 63 ? name[..63] : name,
            LogDirectory = logDir,
            Linux = new LinuxPodSandboxConfig(),
            Labels = { ["criruntime-bench"] = settings.RunId },
        };
    }

    public static ContainerConfig Container(string image, string name, params string[] command) => new()
    {
        Metadata = new ContainerMetadata { Name = name, Attempt = 0 },
        Image = new ImageSpec { Image = image },
        Command = { command.Length > 0 ? command : ["sleep", "3600"] },
        LogPath = $"{name}.log",
        Linux = new LinuxContainerConfig(),
    };
}
