using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace CriRuntime.Configuration;

/// <summary>
/// Typed reads from layered configuration. Every read registers its key as known, so that keys in the
/// file that nothing reads (typos) can be reported. Errors name the key in TOML's dotted form.
/// </summary>
internal sealed class ConfigReader(IConfiguration configuration)
{
    private readonly HashSet<string> _known = new(StringComparer.OrdinalIgnoreCase);

    public static string DisplayKey(string key) => key.Replace(':', '.');

    public string String(string key, string fallback)
    {
        _known.Add(key);
        return configuration[key] ?? fallback;
    }

    public string NonEmpty(string key, string fallback)
    {
        var value = String(key, fallback);
        return string.IsNullOrWhiteSpace(value) ? throw Invalid(key, value, "must not be empty") : value;
    }

    public string AbsolutePath(string key, string fallback)
    {
        var value = NonEmpty(key, fallback);
        return Path.IsPathRooted(value) ? value : throw Invalid(key, value, "must be an absolute path");
    }

    public int Int(string key, int fallback, int min, int max)
    {
        var text = String(key, fallback.ToString(CultureInfo.InvariantCulture));
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw Invalid(key, text, $"must be a whole number from {min} to {max}");
        }
        return value;
    }

    public bool Bool(string key, bool fallback)
    {
        var text = String(key, fallback ? "true" : "false");
        return bool.TryParse(text, out var value) ? value : throw Invalid(key, text, "must be true or false");
    }

    public T Choice<T>(string key, T fallback, IReadOnlyDictionary<string, T> choices)
    {
        _known.Add(key);
        var text = configuration[key];
        if (text is null)
        {
            return fallback;
        }
        return choices.TryGetValue(text.Trim().ToLowerInvariant(), out var value)
            ? value
            : throw Invalid(key, text, "must be one of " + string.Join(", ", choices.Keys));
    }

    public TimeSpan Duration(string key, TimeSpan fallback)
    {
        _known.Add(key);
        var text = configuration[key];
        if (text is null)
        {
            return fallback;
        }
        return DurationParser.TryParse(text, out var value)
            ? value
            : throw Invalid(key, text, "must be a duration such as 30s, 5m or 4h");
    }

    /// <summary>A list is a TOML array, or a comma-separated string (handy in environment variables and flags).</summary>
    public IReadOnlyList<string> List(string key, IReadOnlyList<string> fallback)
    {
        _known.Add(key);
        var section = configuration.GetSection(key);
        var items = section.GetChildren().Where(c => c.Value is not null).OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue)
            .Select(c => { _known.Add(c.Path); return c.Value!; }).ToList();
        if (items.Count > 0)
        {
            return items;
        }
        return section.Value is { } text
            ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : fallback;
    }

    /// <summary>Names of the sub-tables under a table key, such as the handlers under runtime.handlers.</summary>
    public IReadOnlyList<string> TableNames(string key) =>
        configuration.GetSection(key).GetChildren().Select(c => c.Key).ToList();

    /// <summary>Throws for the first key of <paramref name="source"/> that no read asked for.</summary>
    public void RejectUnknown(IEnumerable<string> keys, string sourceName)
    {
        foreach (var key in keys)
        {
            var colon = key.LastIndexOf(':');
            var isListItem = colon > 0 && int.TryParse(key.AsSpan(colon + 1), out _) && _known.Contains(key[..colon]);
            if (!_known.Contains(key) && !isListItem)
            {
                throw new ConfigException($"{sourceName}: unknown key '{DisplayKey(key)}'");
            }
        }
    }

    public static ConfigException Invalid(string key, string value, string why) =>
        new($"invalid value for '{DisplayKey(key)}': '{value}' {why}");
}
