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
