using System.Collections.Concurrent;
using System.Text.Json;
using CriRuntime.Configuration;
using CriRuntime.Linux;

namespace CriRuntime.Runtime;

/// <summary>What a runtime handler supports, as Status reports it in runtime_handlers.</summary>
internal sealed record HandlerFeatureSet(bool RecursiveReadOnlyMounts, bool UserNamespaces);

/// <summary>
/// Features of each runtime handler, as containerd derives them: recursive read-only mounts when the OCI
/// runtime's `features` output lists the "rro" mount option and the kernel has mount_setattr with AT_RECURSIVE
/// (Linux 5.12). User namespaces are not supported by this runtime yet, whatever the OCI runtime can do. The
/// `features` call runs once per handler binary (again only if the binary changes).
/// </summary>
internal sealed partial class HandlerFeatures(DaemonOptions options, ILogger<HandlerFeatures> logger)
{
    private static readonly TimeSpan FeaturesTimeout = TimeSpan.FromSeconds(5);
    private static readonly Lazy<bool> KernelHasRecursiveMountSetattr = new(() => KernelAtLeast(ReadKernelRelease(), 5, 12));

    private readonly ConcurrentDictionary<string, (DateTime Modified, Task<bool> Rro)> _probes = new(StringComparer.Ordinal);

    public async Task<HandlerFeatureSet> OfAsync(string handlerName, CancellationToken cancellationToken)
    {
        if (!options.Runtime.Handlers.TryGetValue(handlerName, out var handler)) return new HandlerFeatureSet(false, false);
        var rro = KernelHasRecursiveMountSetattr.Value && await ListsRecursiveReadOnlyAsync(handler.Path).WaitAsync(cancellationToken);
        return new HandlerFeatureSet(rro, UserNamespaces: false);
    }

    private Task<bool> ListsRecursiveReadOnlyAsync(string path)
    {
        var modified = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
        var probe = _probes.AddOrUpdate(path,
            p => (modified, ProbeAsync(p)),
            (p, existing) => existing.Modified == modified ? existing : (modified, ProbeAsync(p)));
        return probe.Rro;
    }

    private async Task<bool> ProbeAsync(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            var result = await ChildProcess.RunAsync(path, ["features"], new Dictionary<string, string>(), "", FeaturesTimeout, CancellationToken.None);
            if (result.ExitCode != 0) return false;
            return MountOptionsContainRro(result.Stdout);
        }
        catch (Exception e) when (e is IOException or TimeoutException or JsonException)
        {
            LogProbeFailed(logger, path, e.Message);
            return false;
        }
    }

    /// <summary>OCI features.md: "mountOptions" lists the mount options the runtime recognises.</summary>
    public static bool MountOptionsContainRro(string featuresJson)
    {
        using var document = JsonDocument.Parse(featuresJson);
        return document.RootElement.TryGetProperty("mountOptions", out var options) && options.ValueKind == JsonValueKind.Array &&
            options.EnumerateArray().Any(o => o.ValueKind == JsonValueKind.String && o.GetString() == "rro");
    }

    public static bool KernelAtLeast(string release, int major, int minor)
    {
        var parts = release.Split('.', 3);
        if (parts.Length < 2 || !int.TryParse(parts[0], out var ma)) return false;
        var digits = new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray());
        return int.TryParse(digits, out var mi) && (ma > major || (ma == major && mi >= minor));
    }

    private static string ReadKernelRelease()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning, Message = "could not read the features of OCI runtime {Path}: {Error}")]
    private static partial void LogProbeFailed(ILogger logger, string path, string error);
}
