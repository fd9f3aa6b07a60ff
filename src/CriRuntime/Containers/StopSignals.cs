using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Containers;

/// <summary>The signal StopContainer sends first: the CRI's stop_signal, else the image's StopSignal, else SIGTERM.</summary>
internal static class StopSignals
{
    public const int SigTerm = 15;
    private const int SigRtMin = 34, SigRtMax = 64;

    private static readonly Dictionary<string, int> Numbers = new(StringComparer.Ordinal)
    {
        ["HUP"] = 1,
        ["INT"] = 2,
        ["QUIT"] = 3,
        ["ILL"] = 4,
        ["TRAP"] = 5,
        ["ABRT"] = 6,
        ["IOT"] = 6,
        ["BUS"] = 7,
        ["FPE"] = 8,
        ["KILL"] = 9,
        ["USR1"] = 10,
        ["SEGV"] = 11,
        ["USR2"] = 12,
        ["PIPE"] = 13,
        ["ALRM"] = 14,
        ["TERM"] = 15,
        ["STKFLT"] = 16,
        ["CHLD"] = 17,
        ["CLD"] = 17,
        ["CONT"] = 18,
        ["STOP"] = 19,
        ["TSTP"] = 20,
        ["TTIN"] = 21,
        ["TTOU"] = 22,
        ["URG"] = 23,
        ["XCPU"] = 24,
        ["XFSZ"] = 25,
        ["VTALRM"] = 26,
        ["PROF"] = 27,
        ["WINCH"] = 28,
        ["IO"] = 29,
        ["POLL"] = 29,
        ["PWR"] = 30,
        ["SYS"] = 31,
    };

    /// <exception cref="InvalidArgumentException">The image names a signal that does not exist.</exception>
    public static int Resolve(Signal requested, string? imageStopSignal)
    {
        if (requested != Signal.RuntimeDefault)
        {
            // Generated names read "Sigrtminplus3": back to "SIGRTMIN+3".
            var name = requested.ToString().ToUpperInvariant().Replace("PLUS", "+", StringComparison.Ordinal).Replace("MINUS", "-", StringComparison.Ordinal);
            return Parse(name, "stop_signal");
        }
        return string.IsNullOrWhiteSpace(imageStopSignal) ? SigTerm : Parse(imageStopSignal.Trim(), "the image's StopSignal");
    }

    /// <summary>The CRI enum value for a signal number (ContainerStatus.stop_signal).</summary>
    public static Signal ToCri(int number)
    {
        string name;
        if (number >= SigRtMin && number <= SigRtMax)
        {
            name = number - SigRtMin <= SigRtMax - number ? $"SIGRTMINPLUS{number - SigRtMin}" : $"SIGRTMAXMINUS{SigRtMax - number}";
            name = name.Replace("PLUS0", "", StringComparison.Ordinal).Replace("MINUS0", "", StringComparison.Ordinal);
        }
        else
        {
            // The first name per number in the table is the canonical one (ABRT before IOT, CHLD before CLD).
            name = "SIG" + Numbers.FirstOrDefault(kv => kv.Value == number).Key;
        }
        return Enum.TryParse<Signal>(name, ignoreCase: true, out var signal) ? signal : Signal.RuntimeDefault;
    }

    /// <summary>"SIGTERM", "TERM", "15", "SIGRTMIN+3", "RTMAX-1" → the Linux signal number.</summary>
    public static int Parse(string text, string what)
    {
        if (int.TryParse(text, out var n) && n is > 0 and <= SigRtMax) return n;
        var name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal)) name = name[3..];
        if (Numbers.TryGetValue(name, out var number)) return number;
        if (TryRealtime(name, out number)) return number;
        throw new InvalidArgumentException($"{what} \"{text}\" is not a signal");
    }

    private static bool TryRealtime(string name, out int number)
    {
        number = 0;
        var (baseName, baseNumber, sign) = name.StartsWith("RTMIN", StringComparison.Ordinal) ? ("RTMIN", SigRtMin, 1)
            : name.StartsWith("RTMAX", StringComparison.Ordinal) ? ("RTMAX", SigRtMax, -1) : ("", 0, 0);
        if (sign == 0) return false;
        var rest = name[baseName.Length..];
        if (rest.Length == 0) { number = baseNumber; return true; }
        if (rest[0] != (sign > 0 ? '+' : '-') || !int.TryParse(rest[1..], out var offset) || offset < 0) return false;
        number = baseNumber + sign * offset;
        return number is >= SigRtMin and <= SigRtMax;
    }
}
