using CriRuntime.Errors;
using CriRuntime.Linux;

namespace CriRuntime.Containers;

/// <summary>
/// A container's root filesystem: the image layers as overlay lower dirs under a writable layer of its own
/// (root/storage/containers/&lt;id&gt;/{upper,work}), mounted at the bundle's rootfs.
/// </summary>
internal static class ContainerRootfs
{
    /// <summary>mount(2) takes at most one page of options; more layers need shorter paths (not supported yet).</summary>
    private const int MaxMountData = 4000;

    public static string UpperDir(string layerDir) => Path.Combine(layerDir, "upper");

    /// <summary>Creates the writable layer and mounts the overlay at <paramref name="target"/>.</summary>
    /// <param name="lowerDirs">Image layers, topmost first; an image without layers gets an empty lower dir.</param>
    public static void Mount(string layerDir, IReadOnlyList<string> lowerDirs, string target)
    {
        var upper = UpperDir(layerDir);
        var work = Path.Combine(layerDir, "work");
        Directory.CreateDirectory(upper);
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(target);
        if (lowerDirs.Count == 0)
        {
            var empty = Path.Combine(layerDir, "empty");
            Directory.CreateDirectory(empty);
            lowerDirs = [empty];
        }
        foreach (var dir in lowerDirs)
        {
            // ':' and ',' separate overlay options; our layer dirs are hex names, so this only guards the config.
            if (dir.Contains(':') || dir.Contains(',')) throw new OperationFailedException($"layer path {dir} cannot be an overlay lower dir");
        }
        var data = $"lowerdir={string.Join(':', lowerDirs)},upperdir={upper},workdir={work}";
        if (data.Length > MaxMountData)
        {
            throw new OperationFailedException($"the image has too many layers ({lowerDirs.Count}) for one overlay mount");
        }
        Mounts.Mount("overlay", target, "overlay", 0, data);
    }

    /// <summary>Unmounts the rootfs and deletes the writable layer; both may already be gone.</summary>
    public static void Remove(string layerDir, string target)
    {
        Mounts.UnmountIfMounted(target);
        if (Directory.Exists(layerDir)) Directory.Delete(layerDir, recursive: true);
    }
}
