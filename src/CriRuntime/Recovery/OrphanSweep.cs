using CriRuntime.Configuration;
using CriRuntime.Containers;
using CriRuntime.Linux;
using CriRuntime.Runtime;
using CriRuntime.Sandboxes;

namespace CriRuntime.Recovery;

/// <summary>
/// Removes host objects that no pod or container record owns, left by a daemon that died between a host change and
/// its record (or by an undo that failed): monitor processes, OCI runtime state, netns pins, pod dirs, bundles and
/// their overlay mounts, writable layers, our own log dirs, exit files, attach links, cgroups (under the parents our
/// records used). Only under our roots
/// and only names that are our 64-hex ids: another runtime's objects (same runc root, same cgroup tree) are never
/// touched; runtime state counts as ours only when its bundle is under our run root, a conmon only when its exit dir
/// is ours. Host-local IPAM allocations are released by CNI GC in <see cref="SandboxRecovery"/>.
/// </summary>
internal sealed partial class OrphanSweep(DaemonOptions options, SandboxIndex sandboxes, ContainerIndex containers,
    IContainerMonitor monitor, OciRuntime runtime, ILogger<OrphanSweep> logger)
{
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(5);

    /// <summary>Sweeps once; returns how many objects were removed.</summary>
    /// <param name="cgroupParents">The cgroup parents records used (read before the undo of unfinished objects).</param>
    public async Task<int> RunAsync(IReadOnlyCollection<string> cgroupParents)
    {
        // List first, read the owners second: whatever is created after the listing already has its record (records
        // are written before any host change), so nothing in flight is mistaken for an orphan.
        var monitors = MonitorProcesses.Scan(monitor.ExitDirectory);
        var runtimeStates = options.Runtime.Handlers
            .SelectMany(h => IdsIn(h.Value.Root).Select(id => (Handler: new OciRuntimeHandler(h.Key, h.Value.Path, h.Value.Root), Id: id))).ToList();
        string[] dirs =
        [
            Path.Combine(options.RunRoot, "netns"), Path.Combine(options.RunRoot, "sandboxes"), Path.Combine(options.RunRoot, "containers"),
            Path.Combine(options.Root, "storage", "containers"), Path.Combine(options.Root, "logs"),
        ];
        var entries = dirs.SelectMany(d => IdsIn(d).Select(id => Path.Combine(d, id))).ToList();
        // Attach links are <socket dir>/<id>, the socket itself <socket dir>/<id>/attach.
        string[] monitorDirs = [monitor.ExitDirectory, Path.GetDirectoryName(Path.GetDirectoryName(monitor.AttachSocketPath(new string('0', 64))))!];
        var monitorFiles = monitorDirs.SelectMany(d => IdsIn(d).Select(id => Path.Combine(d, id))).ToList();
        // Only parents our own records used: several daemons may share the default /criruntime (tests, benches), and
        // a parent no record of ours names is not ours to sweep.
        var cgroups = cgroupParents.Distinct()
            .SelectMany(p => Cgroups.Hierarchies().SelectMany(h => IdsIn(h + p).Select(id => p.TrimEnd('/') + "/" + id))).Distinct().ToList();
        var owned = sandboxes.All.Select(s => s.Id).Concat(containers.All.Select(c => c.Id)).ToHashSet(StringComparer.Ordinal);

        var removed = 0;
        foreach (var m in monitors.Where(m => !owned.Contains(m.Id)))
        {
            await Try(m.Id, "monitor", () => StopMonitorAsync(m));
            removed++;
        }
        foreach (var (handler, id) in runtimeStates.Where(s => !owned.Contains(s.Id)))
        {
            if (await Try(id, handler.Name + " state", () => DeleteRuntimeStateAsync(handler, id))) removed++;
        }
        foreach (var path in entries.Concat(monitorFiles).Where(p => !owned.Contains(Path.GetFileName(p))))
        {
            if (await Try(Path.GetFileName(path), path, () => { RemoveEntry(path); return Task.FromResult(true); })) removed++;
        }
        // A cgroup is killed and removed only when its id also left something else of ours (monitor, runtime state,
        // bundle, pin, exit file...): a parent such as /criruntime may hold another daemon's pods, with ids like ours.
        var ours = monitors.Select(m => m.Id).Concat(runtimeStates.Select(s => s.Id)).Concat(entries.Concat(monitorFiles).Select(p => Path.GetFileName(p)))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var cgroup in cgroups.Where(c => !owned.Contains(Path.GetFileName(c)) && ours.Contains(Path.GetFileName(c))))
        {
            if (await Try(Path.GetFileName(cgroup), "cgroup " + cgroup, () => RemoveCgroupAsync(cgroup))) removed++;
        }
        return removed;
    }

    private async Task<bool> Try(string id, string what, Func<Task<bool>> action)
    {
        try
        {
            var done = await action();
            if (done) LogRemoved(logger, what, id);
            return done;
        }
        catch (Exception e)
        {
            LogFailed(logger, e, what, id);
            return false;
        }
    }

    private async Task<bool> Try(string id, string what, Func<Task> action) => await Try(id, what, async () => { await action(); return true; });

    /// <summary>
    /// Deletes the container through the runtime conmon was given (so conmon sees it exit), waits for conmon, then
    /// removes the exit file and attach link it left as it exited (after the listing above was taken).
    /// </summary>
    private async Task StopMonitorAsync(MonitorProcess m)
    {
        if (m.RuntimeRoot is { } root) await runtime.DeleteAsync(new OciRuntimeHandler("orphan", m.RuntimePath, root), m.Id, CancellationToken.None);
        if (!await Processes.WaitForExitAsync(m.Pid, m.StartTime, ExitWait))
        {
            Processes.Signal(m.Pid, m.StartTime, 9);
            await Processes.WaitForExitAsync(m.Pid, m.StartTime, ExitWait);
        }
        monitor.Cleanup(m.Id);
    }

    private async Task<bool> DeleteRuntimeStateAsync(OciRuntimeHandler handler, string id)
    {
        var state = await runtime.StateAsync(handler, id, CancellationToken.None);
        if (state is null) return false;
        if (!state.Bundle.StartsWith(options.RunRoot.TrimEnd('/') + "/", StringComparison.Ordinal)) return false;
        await runtime.DeleteAsync(handler, id, CancellationToken.None);
        return true;
    }

    /// <summary>A pin, a directory (after unmounting everything below it) or a file/link.</summary>
    private static void RemoveEntry(string path)
    {
        foreach (var mount in MountsUnder(path)) Mounts.UnmountIfMounted(mount);
        var info = new FileInfo(path);
        if (info.LinkTarget is null && Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
    }

    /// <summary>Kills what is still inside (it is named by our id, under our parent), then removes the directory.</summary>
    private static async Task<bool> RemoveCgroupAsync(string cgroup)
    {
        var pids = Cgroups.Hierarchies().SelectMany(h => ReadPids(Path.Combine(h, cgroup.TrimStart('/'), "cgroup.procs"))).Distinct().ToList();
        foreach (var pid in pids)
        {
            if (Processes.StartTime(pid) is not { } start) continue;
            Processes.Signal(pid, start, 9);
            await Processes.WaitForExitAsync(pid, start, ExitWait);
        }
        Cgroups.RemoveEverywhere(cgroup);
        return true;
    }

    private static IEnumerable<int> ReadPids(string file)
    {
        try
        {
            return File.ReadAllLines(file).Select(l => int.TryParse(l, out var p) ? p : 0).Where(p => p > 0).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Mount points at or below <paramref name="path"/>, deepest first.</summary>
    private static List<string> MountsUnder(string path) =>
        File.ReadLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ', 6)).Where(f => f.Length > 4).Select(f => f[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(m => m == path || m.StartsWith(path + "/", StringComparison.Ordinal))
            .Distinct().OrderByDescending(m => m.Length).ToList();

    private static IEnumerable<string> IdsIn(string dir)
    {
        if (!Directory.Exists(dir)) return [];
        return Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).OfType<string>().Where(IsOurId).ToList();
    }

    /// <summary>Our pod and container ids: 64 lowercase hex digits.</summary>
    public static bool IsOurId(string name) => name.Length == 64 && name.All(char.IsAsciiHexDigitLower);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "startup sweep: removed orphaned {What} of {Id}, which no record owns")]
    private static partial void LogRemoved(ILogger logger, string what, string id);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "startup sweep: could not remove orphaned {What} of {Id}")]
    private static partial void LogFailed(ILogger logger, Exception e, string what, string id);
}
