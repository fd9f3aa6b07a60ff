using System.Net;
using System.Net.Sockets;
using System.Text;
using CriRuntime.Errors;

namespace CriRuntime.Network;

/// <summary>
/// Static pod IPs from the pod annotation <c>cni.criruntime.io/ips</c> ("10.1.2.3/24,fd00::5"): kubelet has no CRI
/// field for them. They become runtimeConfig "ips" (CNI conventions), sent only to plugins that declare the
/// capability. Whoever may create a pod sets annotations, so each entry is parsed strictly before anything changes.
/// </summary>
internal static class StaticIpAnnotation
{
    public const string Annotation = "cni.criruntime.io/ips";

    // host-local honours one address per range set (one per family in practice): more is a typo or an attack.
    private const int MaxEntries = 16;
    private const int MaxLength = 1024;

    /// <exception cref="InvalidArgumentException">An entry is not a unicast IPv4/IPv6 address with an optional prefix.</exception>
    public static IReadOnlyList<string> FromAnnotations(IReadOnlyDictionary<string, string> annotations) =>
        annotations.TryGetValue(Annotation, out var value) ? Parse(value) : [];

    /// <summary>
    /// For DEL and CHECK of an existing pod: the same list ADD got, or none if the annotation does not parse
    /// (a pod made before it was validated must still stop).
    /// </summary>
    public static IReadOnlyList<string> FromAnnotationsOrEmpty(IReadOnlyDictionary<string, string> annotations)
    {
        try
        {
            return FromAnnotations(annotations);
        }
        catch (InvalidArgumentException)
        {
            return [];
        }
    }

    /// <summary>The entries, canonical ("10.1.2.3/24", "fd00::5"), in the given order.</summary>
    public static IReadOnlyList<string> Parse(string value)
    {
        if (value.Length > MaxLength) throw Invalid($"is longer than {MaxLength} characters");
        var entries = value.Split(',');
        if (entries.Length > MaxEntries) throw Invalid($"lists more than {MaxEntries} addresses");
        var seen = new HashSet<IPAddress>();
        var result = new List<string>(entries.Length);
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            var slash = entry.IndexOf('/');
            if (!TryParseAddress(slash < 0 ? entry : entry[..slash], out var ip)) throw Invalid(entry, "is not an IPv4 or IPv6 address");
            var bits = ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            int? prefix = null;
            if (slash >= 0)
            {
                prefix = ParsePrefix(entry[(slash + 1)..]);
                if (prefix is not { } p || p < 1 || p > bits) throw Invalid(entry, $"has a prefix length outside 1-{bits}");
            }
            if (!IsUnicast(ip)) throw Invalid(entry, "is not a unicast address a pod can have");
            if (!seen.Add(ip)) throw Invalid(entry, "is listed twice");
            result.Add(prefix is null ? ip.ToString() : $"{ip}/{prefix}");
        }
        return result;
    }

    private static bool TryParseAddress(string text, out IPAddress ip)
    {
        ip = IPAddress.None;
        if (text.Length is 0 or > 45) return false;
        if (text.Contains(':'))
        {
            // No zone ("%eth0"), brackets or ports: only what a CNI plugin's ParseIP takes as one address.
            if (!text.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')) return false;
            if (!IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return false;
            ip = v6;
            return true;
        }
        // Four decimal octets, no leading zeros: IPAddress.TryParse also takes "10.1", hex and octal forms, which
        // Go's ParseIP (the plugins') rejects or reads differently.
        var parts = text.Split('.');
        if (parts.Length != 4) return false;
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || (part.Length > 1 && part[0] == '0')) return false;
            var octet = int.Parse(part, System.Globalization.CultureInfo.InvariantCulture);
            if (octet > 255) return false;
            bytes[i] = (byte)octet;
        }
        ip = new IPAddress(bytes);
        return true;
    }

    private static int? ParsePrefix(string text) =>
        text.Length is > 0 and <= 3 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0')
            ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static bool IsUnicast(IPAddress ip)
    {
        if (IPAddress.IsLoopback(ip) || ip.IsIPv4MappedToIPv6) return false;
        if (ip.AddressFamily == AddressFamily.InterNetworkV6) return !ip.Equals(IPAddress.IPv6Any) && !ip.IsIPv6Multicast;
        var first = ip.GetAddressBytes()[0];
        return !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.Broadcast) && first is not (>= 224 and <= 239);
    }

    private static InvalidArgumentException Invalid(string problem) =>
        new($"annotation {Annotation} {problem}");

    private static InvalidArgumentException Invalid(string entry, string problem) =>
        new($"annotation {Annotation}: \"{Printable(entry)}\" {problem}");

    /// <summary>The entry as it may appear in an error and the log: printable ASCII only, at most 64 characters.</summary>
    private static string Printable(string entry)
    {
        var text = new StringBuilder(Math.Min(entry.Length, 64));
        foreach (var c in entry.Length > 64 ? entry[..64] : entry) text.Append(c is >= ' ' and <= '~' ? c : '?');
        return entry.Length > 64 ? text + "..." : text.ToString();
    }
}
