using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.Configuration;
using CriRuntime.Errors;
using CriRuntime.Events;
using CriRuntime.Linux;
using CriRuntime.Network;
using CriRuntime.Oci;
using CriRuntime.Recovery;
using CriRuntime.Runtime;
using CriRuntime.Storage;
using Google.Protobuf;

namespace CriRuntime.Sandboxes;

/// <summary>The pod lifecycle: RunPodSandbox as named steps with undo; Stop, Remove, Status and List.</summary>
internal sealed partial class SandboxService(
    DaemonOptions options,
    SandboxIndex index,
    RuntimeHandlers handlers,
    CniNetwork network,
    IContainerMonitor monitor,
    OciRuntime runtime,
    PauseRootfs pauseRootfs,
    PauseImage pauseImage,
    IPodContainers containers,
    ContainerEventBus events,
    ILogger<SandboxService> logger)
{
    /// <summary>The pause's wish; clamped to what this host allows (see <see cref="OomScoreAdj"/>).</summary>
    private const int PauseOomScoreAdj = -998;
    private const long ShmBytes = 64L * 1024 * 1024;

    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _inFlight = new(StringComparer.Ordinal);
    private int? _oomScoreAdj;

    /// <summary>
    /// Creates and starts a pod. A retry with the same metadata (kubelet retries on timeout) attaches to the
    /// creation in flight or returns the pod already made, never a second pod.
    /// </summary>
    public async Task<string> RunAsync(PodSandboxConfig? config, string runtimeHandler, CancellationToken cancellationToken)
    {
        var request = SandboxRequest.Validate(config, handlers.ResolveInstalled(runtimeHandler));
        var key = Sandbox.KeyOf(request.Config.Metadata);
        // The creation does not follow the first caller's cancellation: a retry must find it finished, not torn down.
        var lazy = _inFlight.GetOrAdd(key, k => new Lazy<Task<string>>(() => CreateOnceAsync(k, request)));
        return await lazy.Value.WaitAsync(cancellationToken);
    }

    private async Task<string> CreateOnceAsync(string key, SandboxRequest request)
    {
        await Task.Yield();
        try
        {
            // A finished pod with this identity is the answer to a retry; it was saved before its creation ended.
            if (index.FindByKey(key) is { Record.State: not SandboxStates.Creating } existing) return existing.Id;
            return await CreateAsync(request, CancellationToken.None);
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
        }
    }

    private async Task<string> CreateAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        using var held = await index.Locks.AcquireAsync(id, cancellationToken);
        var rollback = new Rollback("RunPodSandbox", logger);
        var dir = Path.Combine(options.RunRoot, "sandboxes", id);
        // Before any host change: no usable network config is FAILED_PRECONDITION with nothing to undo. And the
        // record carries the list from its first write, so a daemon that dies mid-ADD can still run DEL.
        var cniList = request.HostNetwork ? null : network.LoadConfig();
        // Also before any host change: a pause image that cannot be had leaves nothing behind but its pull's own cleanup.
        StoredImage? image = null;
        if (pauseImage.Configured)
        {
            image = await rollback.StepAsync("get pause image", () => pauseImage.AcquireAsync(id, cancellationToken));
            rollback.OnUndo("get pause image", () => pauseImage.Release(id));
        }
        var pending = new PendingSandbox(index, new Sandbox(new SandboxRecord
        {
            Id = id,
            State = SandboxStates.Creating,
            Config = request.Config.ToByteArray(),
            Handler = request.Handler.Name,
            CreatedAt = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100,
            Dir = dir,
            NetnsPath = request.HostNetwork ? null : Path.Combine(options.RunRoot, "netns", id),
            ShmPath = request.HostIpc ? null : Path.Combine(dir, "shm"),
            CgroupsPath = (request.CgroupParent.Length == 0 ? "/criruntime" : request.CgroupParent.TrimEnd('/')) + "/" + id,
            CniConfig = cniList?.ToJson(),
            PauseImage = image?.Id,
        }, request.Config));
        try
        {
            await rollback.StepAsync("write record", () =>
            {
                pending.Update(r => r);
                rollback.OnUndo("write record", () => index.Delete(id));
                return Task.CompletedTask;
            });
            Failpoint.Hit("pod.run.after-record");
            await PrepareHostAsync(request, pending.Current.Record, rollback, cancellationToken);
            var started = await StartAsync(request, pending, cniList, image, rollback, cancellationToken);
            Failpoint.Hit("pod.run.before-ready");
            var sandbox = await rollback.StepAsync("mark ready", () => Task.FromResult(pending.Update(r => r with
            {
                State = SandboxStates.Ready,
                PausePid = started.Pid,
                PauseStartTime = started.PidStartTime,
                MonitorPid = started.MonitorPid,
                MonitorStartTime = started.MonitorStartTime,
            })));
            // As containerd: CREATED then STARTED, both once the pod is persisted ready.
            Publish(sandbox, ContainerEventType.ContainerCreatedEvent);
            Publish(sandbox, ContainerEventType.ContainerStartedEvent);
            LogCreated(logger, id, request.Config.Metadata.Namespace, request.Config.Metadata.Name, string.Join(",", sandbox.Record.Ips));
            return id;
        }
        catch (Exception e)
        {
            LogRollback(logger, e, id);
            await rollback.UndoAsync();
            throw;
        }
    }

    /// <summary>Directories, netns pin, hostname/hosts/resolv.conf, /dev/shm.</summary>
    private static async Task PrepareHostAsync(SandboxRequest request, SandboxRecord r, Rollback rollback, CancellationToken cancellationToken)
    {
        await rollback.StepAsync("create pod directory", () =>
        {
            Directory.CreateDirectory(r.Dir);
            rollback.OnUndo("create pod directory", () => DeleteDirectory(r.Dir));
            return Task.CompletedTask;
        });
        if (r.NetnsPath is { } pin)
        {
            await rollback.StepAsync("create network namespace", async () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(pin)!);
                await NetworkNamespace.CreatePinnedAsync(pin);
                rollback.OnUndo("create network namespace", () => NetworkNamespace.RemovePin(pin));
            });
            Failpoint.Hit("pod.run.after-netns");
        }
        await rollback.StepAsync("write hostname, hosts and resolv.conf", () =>
        {
            SandboxFiles.Write(r.Dir, HostnameOf(request), request.Config.DnsConfig, request.HostNetwork);
            return Task.CompletedTask;
        });
        if (r.ShmPath is { } shm)
        {
            await rollback.StepAsync("mount /dev/shm", () =>
            {
                Directory.CreateDirectory(shm);
                Mounts.Mount("shm", shm, "tmpfs", Mounts.MS_NOSUID | Mounts.MS_NODEV | Mounts.MS_NOEXEC, $"mode=1777,size={ShmBytes}");
                rollback.OnUndo("mount /dev/shm", () => Mounts.UnmountIfMounted(shm));
                return Task.CompletedTask;
            });
        }
    }

    /// <summary>
    /// CNI ADD and the pause start run concurrently: both only need the pinned netns, and together they are
    /// most of RunPodSandbox's time.
    /// </summary>
    private async Task<MonitoredContainer> StartAsync(SandboxRequest request, PendingSandbox pending, CniNetworkList? cniList, StoredImage? image,
        Rollback rollback, CancellationToken cancellationToken)
    {
        var r = pending.Current.Record;
        var cni = cniList is null ? Task.CompletedTask : AddNetworkAsync(request, pending, cniList, rollback, cancellationToken);
        var pause = StartPauseAsync(request, r, image, rollback, cancellationToken);
        try
        {
            await Task.WhenAll(cni, pause);
        }
        catch
        {
            // Both must have settled (and registered their undos) before the rollback runs.
            await Task.WhenAll(cni.ContinueWith(_ => { }, TaskScheduler.Default), pause.ContinueWith(_ => { }, TaskScheduler.Default));
            throw (cni.Exception ?? pause.Exception)!.InnerException!;
        }
        return pause.Result;
    }

    private async Task AddNetworkAsync(SandboxRequest request, PendingSandbox pending, CniNetworkList list, Rollback rollback, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var r = pending.Current.Record;
        var pod = PodInfo(r, request.Config, request);
        string? added = null;
        await rollback.StepAsync("CNI ADD", async () =>
        {
            // DEL is idempotent and also undoes a chain that failed half-way, so register it before ADD; it gets
            // the ADD's result as prevResult once there is one (CNI 1.0).
            rollback.OnUndo("CNI ADD", () => network.DelAsync(list, pod, added, CancellationToken.None));
            added = await network.AddAsync(list, pod, cancellationToken);
        });
        Failpoint.Hit("pod.run.after-cni-add");
        // Persisted at once, not with "mark ready": a daemon that dies before ready undoes the pod at its next
        // start, and that DEL must carry the result as prevResult too.
        await rollback.StepAsync("save CNI result", () =>
        {
            pending.Update(p => p with { CniResult = added, Ips = [.. CniResult.Ips(added)] });
            return Task.CompletedTask;
        });
        Failpoint.Hit("pod.run.after-cni-result");
    }

    private async Task<MonitoredContainer> StartPauseAsync(SandboxRequest request, SandboxRecord r, StoredImage? image, Rollback rollback,
        CancellationToken cancellationToken)
    {
        await Task.Yield();
        var rootfs = image is null
            ? await rollback.StepAsync("prepare pause rootfs", () => pauseRootfs.GetAsync(cancellationToken))
            : await rollback.StepAsync("mount pause image", () =>
            {
                var target = Path.Combine(r.Dir, SandboxRecord.RootfsDir);
                rollback.OnUndo("mount pause image", () => Mounts.UnmountIfMounted(target));
                pauseImage.Mount(image, target);
                return Task.FromResult(target);
            });
        await rollback.StepAsync("write pause spec", () =>
        {
            var input = PauseInput(request, r, rootfs);
            if (image is not null) input = input with { Args = pauseImage.Args(image), Env = image.Config.Config?.Env };
            var spec = PauseSpecBuilder.Build(input);
            File.WriteAllBytes(Path.Combine(r.Dir, "config.json"), JsonSerializer.SerializeToUtf8Bytes(spec, OciJsonContext.Default.RuntimeSpec));
            return Task.CompletedTask;
        });
        MonitoredContainer? started = null;
        var created = await rollback.StepAsync("create pause container", async () =>
        {
            rollback.OnUndo("create pause container", async () =>
            {
                await runtime.DeleteAsync(request.Handler, r.Id, CancellationToken.None);
                // conmon writes its exit file as it exits: cleaning up before that would leave the file behind.
                if (started is { } c) await Processes.WaitForExitAsync(c.MonitorPid, c.MonitorStartTime, MonitorExitWait);
                monitor.Cleanup(r.Id);
                Cgroups.RemoveEverywhere(r.CgroupsPath);
            });
            var name = $"k8s_POD_{request.Config.Metadata.Name}_{request.Config.Metadata.Namespace}_{request.Config.Metadata.Uid}_{request.Config.Metadata.Attempt}";
            started = await monitor.CreateAsync(new MonitorRequest(r.Id, name, request.Handler, r.Dir, Path.Combine(r.Dir, "pause.log")), cancellationToken);
            return started;
        });
        Failpoint.Hit("pod.run.after-pause-create");
        await rollback.StepAsync("start pause container", () => runtime.StartAsync(request.Handler, r.Id, cancellationToken));
        return created;
    }

    private PauseSpecInput PauseInput(SandboxRequest request, SandboxRecord r, string rootfs) => new()
    {
        SandboxId = r.Id,
        RootfsPath = rootfs,
        PauseArgs0 = PauseRootfs.PausePath,
        Hostname = HostnameOf(request),
        NetnsPath = r.NetnsPath,
        Pid = request.Pid,
        HostIpc = request.HostIpc,
        ShmPath = r.ShmPath,
        Sysctls = request.Sysctls,
        Uid = request.Uid,
        Gid = request.Gid,
        SupplementalGroups = request.SupplementalGroups,
        Seccomp = request.Seccomp,
        CgroupsPath = r.CgroupsPath,
        OomScoreAdj = OomScoreAdj(),
    };

    private static CniPodInfo PodInfo(SandboxRecord r, PodSandboxConfig config, SandboxRequest? request) => new()
    {
        SandboxId = r.Id,
        NetnsPath = r.NetnsPath ?? "",
        PodName = config.Metadata.Name,
        PodNamespace = config.Metadata.Namespace,
        PodUid = config.Metadata.Uid,
        PortMappings = request?.PortMappings ?? [],
        Bandwidth = request?.Bandwidth,
        StaticIps = request?.StaticIps ?? [],
        Dns = config.DnsConfig is { } d ? new CniDns([.. d.Servers], [.. d.Searches], [.. d.Options]) : null,
    };

    private static string HostnameOf(SandboxRequest request) =>
        request.HostNetwork ? File.ReadAllText("/proc/sys/kernel/hostname").Trim()
        : request.Config.Hostname.Length > 0 ? request.Config.Hostname : request.Config.Metadata.Name;

    /// <summary>
    /// -998 keeps the pause from the OOM killer, but lowering oom_score_adj below the daemon's own needs
    /// CAP_SYS_RESOURCE, and runc fails the whole create if it cannot write the value: clamp to our own floor.
    /// </summary>
    private int OomScoreAdj()
    {
        if (_oomScoreAdj is { } cached) return cached;
        var floor = int.TryParse(File.ReadAllText("/proc/self/oom_score_adj").Trim(), out var f) ? f : 0;
        var value = Math.Max(PauseOomScoreAdj, floor);
        if (value != PauseOomScoreAdj) LogOomClamped(logger, PauseOomScoreAdj, value);
        _oomScoreAdj = value;
        return value;
    }

    private static void DeleteDirectory(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "pod {Id} ({Namespace}/{Name}) ready, IPs [{Ips}]")]
    private static partial void LogCreated(ILogger logger, string id, string @namespace, string name, string ips);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "RunPodSandbox {Id} failed; rolling back")]
    private static partial void LogRollback(ILogger logger, Exception e, string id);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information,
        Message = "pause oom_score_adj {Wanted} is below what this host allows without CAP_SYS_RESOURCE; using {Used}")]
    private static partial void LogOomClamped(ILogger logger, int wanted, int used);
}
