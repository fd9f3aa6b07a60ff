using System.Text.Json;
using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// Reads a Localhost seccomp profile (the Docker/OCI JSON format kubelet's seccomp profiles use) into a
/// <see cref="SpecSeccomp"/>, rejecting what runc would reject later with a worse message.
/// </summary>
internal static class SeccompProfileLoader
{
    private static readonly HashSet<string> Actions =
    [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ];

    private static readonly HashSet<string> Ops =
    [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
    ];

    /// <exception cref="InvalidArgumentException">Missing file, bad JSON, unknown action or operator.</exception>
    public static SpecSeccomp Load(string path)
    {
        if (!Path.IsPathRooted(path)) throw new InvalidArgumentException($"seccomp profile path \"{path}\" is not absolute");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidArgumentException($"seccomp profile {path} cannot be read: {e.Message}");
        }
        return Parse(text, path);
    }

    public static SpecSeccomp Parse(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var profile = new SpecSeccomp(Action(Str(root, "defaultAction") ?? throw Bad(source, "defaultAction is missing"), source))
            {
                DefaultErrnoRet = UIntOrNull(root, "defaultErrnoRet"),
                Architectures = Architectures(root),
                Flags = root.TryGetProperty("flags", out var flags) && flags.ValueKind == JsonValueKind.Array
                    ? [.. flags.EnumerateArray().Select(f => f.GetString()!)] : null,
            };
            if (root.TryGetProperty("syscalls", out var syscalls) && syscalls.ValueKind == JsonValueKind.Array)
            {
                foreach (var sc in syscalls.EnumerateArray()) profile.Syscalls.Add(Syscall(sc, source));
            }
            return profile;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw Bad(source, e.Message);
        }
    }

    private static SpecSyscall Syscall(JsonElement sc, string source)
    {
        var names = new List<string>();
        if (sc.TryGetProperty("names", out var n) && n.ValueKind == JsonValueKind.Array) names.AddRange(n.EnumerateArray().Select(x => x.GetString()!));
        if (Str(sc, "name") is { } single) names.Add(single);
        if (names.Count == 0) throw Bad(source, "a syscall rule has no names");
        var args = new List<SpecSyscallArg>();
        if (sc.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Array)
        {
            foreach (var arg in a.EnumerateArray())
            {
                var op = Str(arg, "op") ?? throw Bad(source, "a syscall argument has no op");
                if (!Ops.Contains(op)) throw Bad(source, $"unknown operator \"{op}\"");
                args.Add(new SpecSyscallArg(arg.GetProperty("index").GetUInt32(), arg.GetProperty("value").GetUInt64(), op)
                {
                    ValueTwo = arg.TryGetProperty("valueTwo", out var v2) ? v2.GetUInt64() : null,
                });
            }
        }
        return new SpecSyscall(names, Action(Str(sc, "action") ?? throw Bad(source, "a syscall rule has no action"), source))
        {
            ErrnoRet = UIntOrNull(sc, "errnoRet"),
            Args = args.Count == 0 ? null : args,
        };
    }

    private static List<string>? Architectures(JsonElement root)
    {
        var result = new List<string>();
        if (root.TryGetProperty("architectures", out var arches) && arches.ValueKind == JsonValueKind.Array)
        {
            result.AddRange(arches.EnumerateArray().Select(x => x.GetString()!));
        }
        // Docker's archMap form: only the x86_64 entry and its sub-architectures matter on this host.
        if (root.TryGetProperty("archMap", out var map) && map.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in map.EnumerateArray().Where(e => Str(e, "architecture") == "SCMP_ARCH_X86_64"))
            {
                result.Add("SCMP_ARCH_X86_64");
                if (entry.TryGetProperty("subArchitectures", out var subs) && subs.ValueKind == JsonValueKind.Array)
                {
                    result.AddRange(subs.EnumerateArray().Select(x => x.GetString()!));
                }
            }
        }
        return result.Count == 0 ? null : [.. result.Distinct()];
    }

    private static string Action(string action, string source) =>
        Actions.Contains(action) ? action : throw Bad(source, $"unknown action \"{action}\"");

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static uint? UIntOrNull(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetUInt32() : null;

    private static InvalidArgumentException Bad(string source, string why) => new($"seccomp profile {source} is not valid: {why}");
}
