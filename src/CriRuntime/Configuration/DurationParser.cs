using System.Globalization;
using System.Text.RegularExpressions;

namespace CriRuntime.Configuration;

/// <summary>Go-style durations ("1h30m", "500ms", "4h"), as operators write them in crio.conf and containerd's config.</summary>
internal static partial class DurationParser
{
    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)(h|ms|m|s))+$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s)")]
    private static partial Regex Part();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        text = text.Trim();
        if (text == "0")
        {
            return true;
        }
        if (!Whole().IsMatch(text))
        {
            return false;
        }
        foreach (Match m in Part().Matches(text))
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            value += m.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                _ => TimeSpan.FromMilliseconds(n),
            };
        }
        return true;
    }

    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }
        var parts = new List<string>();
        if ((int)value.TotalHours > 0) parts.Add($"{(int)value.TotalHours}h");
        if (value.Minutes > 0) parts.Add($"{value.Minutes}m");
        if (value.Seconds > 0) parts.Add($"{value.Seconds}s");
        if (value.Milliseconds > 0) parts.Add($"{value.Milliseconds}ms");
        return string.Concat(parts);
    }
}
