using CriRuntime.Api.V1;

namespace CriRuntime.Containers;

/// <summary>
/// The CRI view of a container, shared by ContainerStatus, ListContainers and the lifecycle events (whose
/// containers_statuses carry exactly what ContainerStatus returns).
/// </summary>
internal static class ContainerStatusBuilder
{
    public static ContainerStatus Build(Container c)
    {
        var r = c.Record;
        return new ContainerStatus
        {
            Id = c.Id,
            Metadata = c.Config.Metadata,
            State = ContainerService.StateOf(c),
            CreatedAt = r.CreatedAt,
            StartedAt = r.StartedAt,
            FinishedAt = r.FinishedAt,
            ExitCode = r.ExitCode,
            Image = ImageSpecOf(c),
            ImageRef = r.ImageRef,
            ImageId = r.ImageId,
            Reason = r.Reason,
            Message = r.Message,
            Labels = { c.Config.Labels },
            Annotations = { c.Config.Annotations },
            Mounts = { c.Config.Mounts },
            LogPath = r.LogPath,
            Resources = ResourcesOf(c),
            User = new ContainerUser { Linux = new LinuxContainerUser { Uid = r.Uid, Gid = r.Gid, SupplementalGroups = { r.AdditionalGids } } },
            StopSignal = StopSignals.ToCri(r.StopSignal),
        };
    }

    public static ImageSpec ImageSpecOf(Container c) => new()
    {
        Image = c.Record.ImageName,
        UserSpecifiedImage = c.Config.Image.UserSpecifiedImage.Length > 0 ? c.Config.Image.UserSpecifiedImage : c.Record.ImageName,
        Annotations = { c.Config.Image.Annotations },
    };

    /// <summary>What UpdateContainerResources last applied, else what the container was created with.</summary>
    public static ContainerResources? ResourcesOf(Container c)
    {
        if (c.Record.UpdatedResources is { } updated) return new ContainerResources { Linux = LinuxContainerResources.Parser.ParseFrom(updated) };
        return c.Config.Linux?.Resources is { } linux ? new ContainerResources { Linux = linux } : null;
    }
}
