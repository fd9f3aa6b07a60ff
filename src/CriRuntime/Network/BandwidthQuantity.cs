using System.Globalization;
using CriRuntime.Errors;

namespace CriRuntime.Network;

/// <summary>
/// Parses the Kubernetes quantities in kubernetes.io/ingress-bandwidth and egress-bandwidth ("10M", "1Gi",
/// "500k") into bits per second.
/// </summary>
internal static class BandwidthQuantity
{
    public const string IngressAnnotation = "kubernetes.io/ingress-bandwidth";
    public const string EgressAnnotation = "kubernetes.io/egress-bandwidth";

    private static readonly (string Suffix, double Factor)[] Suffixes =
    [
        ("Ki", 1024d), ("Mi", 1024d * 1024), ("Gi", 1024d * 1024 * 1024), ("Ti", 1024d * 1024 * 1024 * 1024),
        ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("m", 1e-3),
    ];

    public static CniBandwidth? FromAnnotations(IReadOnlyDictionary<string, string> annotations)
    {
        long? ingress = annotations.TryGetValue(IngressAnnotation, out var i) ? Parse(IngressAnnotation, i) : null;
        long? egress = annotations.TryGetValue(EgressAnnotation, out var e) ? Parse(EgressAnnotation, e) : null;
        return ingress is null && egress is null ? null : new CniBandwidth(ingress, egress);
    }

    public static long Parse(string annotation, string value)
    {
        var text = value.Trim();
        var factor = 1d;
        foreach (var (suffix, f) in Suffixes)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                factor = f;
                text = text[..^suffix.Length];
                break;
            }
        }
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number * factor < 1)
        {
            throw new InvalidArgumentException($"annotation {annotation}: \"{value}\" is not a bandwidth quantity such as 10M");
        }
        return (long)(number * factor);
    }
}
