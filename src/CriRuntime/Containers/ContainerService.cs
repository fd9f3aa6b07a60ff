using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.Configuration;
using CriRuntime.Errors;
using CriRuntime.Events;
using CriRuntime.Images;
using CriRuntime.Oci;
using CriRuntime.Recovery;
using CriRuntime.Runtime;
using CriRuntime.Sandboxes;
using CriRuntime.Stats;
using CriRuntime.Storage;
using Google.Protobuf;

namespace CriRuntime.Containers;

/// <summary>
/// The container lifecycle: CreateContainer as named steps with undo (overlay rootfs, spec, monitor), Start,
/// Stop, Remove, Status and List, and the pod-wide stop/remove the pod lifecycle needs.
/// </summary>
internal sealed partial class ContainerService : IPodContainers
{
    private readonly DaemonOptions _options;
    private readonly ContainerIndex _index;
    private readonly SandboxIndex _sandboxes;
    private readonly LocalImages _images;
    private readonly ImageStore _imageStore;
    private readonly RuntimeHandlers _handlers;
    private readonly IContainerMonitor _monitor;
    private readonly OciRuntime _runtime;
    private readonly ExitWatcher _exits;
    private readonly ContainerEventBus _events;
    private readonly CgroupStatsReader _cgroups;
    private readonly DirectoryUsage _layerUsage;
    private readonly CpuRateTracker _cpuRates = new();
    private readonly ILogger<ContainerService> _logger;
    private readonly Lazy<HostFacts> _host = new(() => HostFacts.Detect());

    /// <summary>The image layers each container runs from, kept from garbage collection until it is removed.</summary>
    private readonly ConcurrentDictionary<string, IDisposable> _layerPins = new(StringComparer.Ordinal);

    public ContainerService(DaemonOptions options, ContainerIndex index, SandboxIndex sandboxes, LocalImages images, ImageStore imageStore,
        RuntimeHandlers handlers, IContainerMonitor monitor, OciRuntime runtime, ExitWatcher exits, ContainerEventBus events,
        CgroupStatsReader cgroups, DirectoryUsage layerUsage, ILogger<ContainerService> logger)
    {
        _options = options;
        _index = index;
        _sandboxes = sandboxes;
        _images = images;
        _imageStore = imageStore;
        _handlers = handlers;
        _monitor = monitor;
        _runtime = runtime;
        _exits = exits;
        _events = events;
        _cgroups = cgroups;
        _layerUsage = layerUsage;
        _logger = logger;
        foreach (var c in index.All)
        {
            if (imageStore.FindById(c.Record.ImageId) is { } image) _layerPins[c.Id] = imageStore.PinLayers(image);
        }
        exits.Exited += id => _ = OnExitAsync(id);
    }

    /// <summary>Creates a container in a ready pod; nothing is left behind when any step fails.</summary>
    public async Task<string> CreateAsync(string sandboxId, ContainerConfig? config, CancellationToken cancellationToken)
    {
        if (config?.Metadata is null || config.Metadata.Name.Length == 0) throw new InvalidArgumentException("container config with metadata.name is required");
        if (config.Image is null || config.Image.Image.Length == 0) throw new InvalidArgumentException("container config image.image is required");
        var sandbox = _sandboxes.Get(sandboxId) ?? throw new NotFoundException($"pod sandbox \"{sandboxId}\" not found");
        if (sandbox.Record.State != SandboxStates.Ready) throw new FailedPreconditionException($"pod sandbox {sandboxId} is not ready");
        var key = Container.KeyOf(sandboxId, config.Metadata);
        if (_index.FindByKey(key) is { } existing)
        {
            throw new AlreadyExistsException($"container {config.Metadata.Name} (attempt {config.Metadata.Attempt}) already exists in pod {sandboxId} as {existing.Id}");
        }
        var image = _images.Resolve(config.Image.Image) ?? throw new NotFoundException($"image \"{config.Image.Image}\" not found; pull it first");
        var logPath = LogPathOf(sandbox, config);
        var handler = _handlers.ResolveInstalled(sandbox.Record.Handler);

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        using var held = await _index.Locks.AcquireAsync(id, cancellationToken);
        var container = new Container(new ContainerRecord
        {
            Id = id,
            SandboxId = sandboxId,
            State = ContainerStates.Creating,
            Config = config.ToByteArray(),
            Handler = handler.Name,
            ImageName = config.Image.Image,
            ImageId = image.Id,
            ImageRef = image.Record.RepoDigests.FirstOrDefault() ?? image.Id,
            CreatedAt = NowNanos(),
            BundleDir = Path.Combine(_options.RunRoot, "containers", id),
            LayerDir = Path.Combine(_options.Root, "storage", "containers", id),
            LogPath = logPath,
            CgroupsPath = ContainerSpecBuilder.CgroupsPath(sandbox.Config.Linux?.CgroupParent ?? "", id),
            StopSignal = StopSignals.Resolve(config.StopSignal, image.Config.Config?.StopSignal),
        }, config);
        var rollback = new Rollback("CreateContainer", _logger);
        try
        {
            // The record comes first (state creating): a daemon that dies from here on undoes the rest at start.
            await rollback.StepAsync("write record", () => { _index.Save(container); return Task.CompletedTask; });
            rollback.OnUndo("tear down", () => TearDownAsync(container, deleteRecord: true));
            Failpoint.Hit("container.create.after-record");
            _layerPins[id] = _imageStore.PinLayers(image);
            await rollback.StepAsync("mount rootfs", () =>
            {
                Directory.CreateDirectory(container.Record.BundleDir);
                ContainerRootfs.Mount(container.Record.LayerDir, image.LowerDirs, RootfsOf(container.Record));
                return Task.CompletedTask;
            });
            Failpoint.Hit("container.create.after-rootfs");
            var spec = await rollback.StepAsync("write spec", () => Task.FromResult(WriteSpec(container, sandbox, image)));
            Failpoint.Hit("container.create.after-spec");
            await rollback.StepAsync("prepare log", () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
                return Task.CompletedTask;
            });
            var started = await rollback.StepAsync("create container", () => _monitor.CreateAsync(new MonitorRequest(id,
                $"k8s_{config.Metadata.Name}_{sandbox.Config.Metadata.Name}_{sandbox.Config.Metadata.Namespace}_{sandbox.Config.Metadata.Uid}_{config.Metadata.Attempt}",
                handler, container.Record.BundleDir, logPath, config.Tty, config.Stdin, config.StdinOnce), cancellationToken));
            Failpoint.Hit("container.create.after-monitor-create");
            // A pod removed while this container was being made would never remove it: check again, then commit.
            if (_sandboxes.Get(sandboxId)?.Record.State != SandboxStates.Ready) throw new FailedPreconditionException($"pod sandbox {sandboxId} stopped while the container was created");
            container = container with
            {
                Record = container.Record with
                {
                    State = ContainerStates.Created,
                    Pid = started.Pid,
                    PidStartTime = started.PidStartTime,
                    MonitorPid = started.MonitorPid,
                    MonitorStartTime = started.MonitorStartTime,
                    Uid = spec.Process.User.Uid,
                    Gid = spec.Process.User.Gid,
                    AdditionalGids = [.. spec.Process.User.AdditionalGids ?? []],
                },
            };
            Failpoint.Hit("container.create.before-created");
            await rollback.StepAsync("mark created", () => { _index.Save(container); return Task.CompletedTask; });
            Publish(container, ContainerEventType.ContainerCreatedEvent);
            LogCreated(_logger, id, config.Metadata.Name, sandboxId, started.Pid);
            return id;
        }
        catch (Exception e)
        {
            LogRollback(_logger, e, id);
            await rollback.UndoAsync();
            throw;
        }
    }

    /// <summary>Gathers the facts (users, devices, seccomp, host paths), builds config.json and writes it.</summary>
    private RuntimeSpec WriteSpec(Container container, Sandbox sandbox, StoredImage image)
    {
        var r = container.Record;
        // A copy: host paths are rewritten to real paths for the spec, Status reports them as kubelet sent them.
        var config = container.Config.Clone();
        var rootfs = RootfsOf(r);
        var sc = config.Linux?.SecurityContext;
        var privileged = sc?.Privileged == true;
        var seccompPath = ContainerSecurity.LocalhostSeccompPath(sc);
        HostMountPaths.Prepare(config.Mounts);
        var host = _host.Value;
        var result = ContainerSpecBuilder.Build(new ContainerSpecInput
        {
            ContainerId = r.Id,
            Config = config,
            ImageName = r.ImageName,
            Image = image.Config.Config,
            RootfsPath = rootfs,
            VolumesDir = Path.Combine(r.LayerDir, "volumes"),
            PasswdText = RootfsFiles.ReadText(rootfs, "/etc/passwd"),
            GroupText = RootfsFiles.ReadText(rootfs, "/etc/group"),
            HostCapabilities = host.Capabilities,
            HostDevices = privileged ? HostDeviceResolver.AllHostDevices() : HostDeviceResolver.Resolve(config.Devices),
            LocalhostSeccomp = seccompPath is null ? null : SeccompProfileLoader.Load(seccompPath),
            AppArmorAvailable = host.AppArmor,
            CgroupV2 = host.CgroupV2,
            SwapAvailable = host.SwapAccounting,
            HugetlbAvailable = host.Hugetlb,
            NodeHostname = File.ReadAllText("/proc/sys/kernel/hostname").Trim(),
            Pod = PodFactsOf(sandbox, config),
        });
        foreach (var warning in result.Warnings) LogSpecWarning(_logger, r.Id, warning);
        foreach (var dir in result.VolumeDirs) Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(r.BundleDir, "config.json"), JsonSerializer.SerializeToUtf8Bytes(result.Spec, OciJsonContext.Default.RuntimeSpec));
        return result.Spec;
    }

    private PodFacts PodFactsOf(Sandbox sandbox, ContainerConfig config)
    {
        var r = sandbox.Record;
        int? targetPid = null;
        if (config.Linux?.SecurityContext?.NamespaceOptions is { Pid: NamespaceMode.Target, TargetId: var targetId })
        {
            var target = _index.Get(targetId);
            if (target is null || target.Record.SandboxId != r.Id || !Linux.Processes.IsAlive(target.Record.Pid, target.Record.PidStartTime))
            {
                throw new NotFoundException($"target container \"{targetId}\" of the PID namespace is not running in pod {r.Id}");
            }
            targetPid = target.Record.Pid;
        }
        return new PodFacts
        {
            SandboxId = r.Id,
            Config = sandbox.Config,
            PausePid = r.PausePid,
            NetnsPath = r.NetnsPath,
            CgroupParent = sandbox.Config.Linux?.CgroupParent ?? "",
            HostnamePath = Path.Combine(r.Dir, "hostname"),
            HostsPath = Path.Combine(r.Dir, "hosts"),
            ResolvConfPath = Path.Combine(r.Dir, "resolv.conf"),
            ShmPath = r.ShmPath,
            TargetPid = targetPid,
        };
    }

    /// <summary>
    /// log_directory/log_path as kubelet sends them; a pod without a log directory (crictl without one) logs
    /// under root/logs, which the container's removal deletes.
    /// </summary>
    private string LogPathOf(Sandbox sandbox, ContainerConfig config)
    {
        var relative = config.LogPath;
        if (relative.Split('/').Any(p => p == "..")) throw new InvalidArgumentException($"log_path \"{relative}\" must not contain \"..\"");
        var dir = sandbox.Config.LogDirectory;
        if (dir.Length > 0 && relative.Length > 0) return Path.Combine(dir, relative.TrimStart('/'));
        if (relative.StartsWith('/')) return relative;
        return Path.Combine(OwnLogDir(sandbox.Id), $"{config.Metadata.Name}_{config.Metadata.Attempt}.log");
    }

    private string OwnLogDir(string sandboxId) => Path.Combine(_options.Root, "logs", sandboxId);

    private static string RootfsOf(ContainerRecord r) => Path.Combine(r.BundleDir, "rootfs");

    private static long NowNanos() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "container {Id} ({Name}) created in pod {SandboxId}, pid {Pid}")]
    private static partial void LogCreated(ILogger logger, string id, string name, string sandboxId, int pid);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "CreateContainer {Id} failed; rolling back")]
    private static partial void LogRollback(ILogger logger, Exception e, string id);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "container {Id}: {Warning}")]
    private static partial void LogSpecWarning(ILogger logger, string id, string warning);
}
