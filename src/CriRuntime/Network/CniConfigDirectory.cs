using System.Text.Json;

namespace CriRuntime.Network;

/// <summary>The outcome of looking for a usable CNI network config.</summary>
/// <param name="Path">The chosen file, or null when there is none.</param>
/// <param name="Problem">Why nothing is usable, when <paramref name="Path"/> is null.</param>
internal sealed record CniConfigLookup(string? Path, string? NetworkName, string? Problem);

/// <summary>
/// Finds the network config the way libcni does: files ending .conf, .conflist or .json in the directory,
/// in lexical order, the first valid one wins.
/// </summary>
internal static class CniConfigDirectory
{
    private static readonly string[] Extensions = [".conf", ".conflist", ".json"];
    private static readonly Dictionary<string, (Stamp Stamp, CniConfigLookup Lookup)> Cache = new(StringComparer.Ordinal);

    /// <summary>
    /// <see cref="Find"/>, re-read only when the directory or the chosen file changed (their mtimes and size):
    /// Status runs every few seconds per kubelet and must stay cheap, yet follow the directory at once.
    /// </summary>
    public static CniConfigLookup FindCached(string directory)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(directory, out var cached) && cached.Stamp == StampOf(directory, cached.Lookup.Path))
            {
                return cached.Lookup;
            }
        }
        var stampBefore = StampOf(directory, null);
        var lookup = Find(directory);
        var stamp = StampOf(directory, lookup.Path);
        lock (Cache)
        {
            // A change while we read: do not cache what may already be stale. Nothing usable: not cached either,
            // so an invalid file fixed in place (no directory change) is seen at once.
            if (lookup.Path is not null && stamp.Directory == stampBefore.Directory) Cache[directory] = (stamp, lookup);
            else Cache.Remove(directory);
        }
        return lookup;
    }

    private readonly record struct Stamp(DateTime Directory, DateTime File, long Size);

    private static Stamp StampOf(string directory, string? file)
    {
        var dir = new DirectoryInfo(directory);
        var info = file is null ? null : new FileInfo(file);
        return new Stamp(dir.Exists ? dir.LastWriteTimeUtc : default,
            info is { Exists: true } ? info.LastWriteTimeUtc : default, info is { Exists: true } ? info.Length : -1);
    }

    public static CniConfigLookup Find(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return new(null, null, $"no CNI config directory {directory}");
        }
        var files = Directory.EnumerateFiles(directory)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.Ordinal))
            .Order(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var file in files)
        {
            var problem = Validate(file, out var name);
            if (problem is null)
            {
                return new(file, name, null);
            }
            problems.Add($"{Path.GetFileName(file)}: {problem}");
        }
        return new(null, null, problems.Count == 0
            ? $"no CNI network config found in {directory}"
            : $"no valid CNI network config in {directory} ({string.Join("; ", problems)})");
    }

    private static string? Validate(string file, out string? name)
    {
        name = null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return "not a JSON object";
            if (!root.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String) return "no \"name\"";
            name = n.GetString();
            if (file.EndsWith(".conflist", StringComparison.Ordinal))
            {
                return root.TryGetProperty("plugins", out var p) && p.ValueKind == JsonValueKind.Array && p.GetArrayLength() > 0
                    ? null : "a conflist needs a non-empty \"plugins\" array";
            }
            return root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? null : "no plugin \"type\"";
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }
}
