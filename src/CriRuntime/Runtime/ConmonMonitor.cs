using System.IO.Pipes;
using System.Text.Json;
using CriRuntime.Configuration;
using CriRuntime.Errors;
using CriRuntime.Linux;
using Microsoft.Win32.SafeHandles;

namespace CriRuntime.Runtime;

/// <summary>
/// conmon as the container monitor, driven as CRI-O drives it (internal/oci/runtime_oci.go): conmon gets the
/// sync pipe as _OCI_SYNCPIPE and the start pipe as _OCI_STARTPIPE, runs `runtime create`, and reports the
/// container's pid (or the runtime's error text) as one JSON line on the sync pipe. conmon daemonizes (new
/// session, double fork), so the container and its monitor survive a daemon restart.
/// </summary>
internal sealed partial class ConmonMonitor(DaemonOptions options, ILogger<ConmonMonitor> logger) : IContainerMonitor
{
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReopenTimeout = TimeSpan.FromSeconds(5);

    public string ExitDirectory { get; } = Path.Combine(options.RunRoot, "exits");
    private string SocketDirectory { get; } = Path.Combine(options.RunRoot, "attach");

    public async Task<MonitoredContainer> CreateAsync(MonitorRequest request, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(ExitDirectory);
        Directory.CreateDirectory(SocketDirectory);
        var conmonPidFile = Path.Combine(request.BundlePath, "conmon.pid");
        var pidFile = Path.Combine(request.BundlePath, "pidfile");
        string[] argv =
        [
            options.Runtime.ConmonPath, "--api-version", "1",
            "-c", request.Id, "-n", request.Name, "-u", request.Id,
            "-r", request.Handler.Path, "--runtime-arg", "--root=" + request.Handler.Root,
            "-b", request.BundlePath, "-p", pidFile, "-P", conmonPidFile,
            "-l", "k8s-file:" + request.LogPath, "--log-level", "error",
            "--exit-dir", ExitDirectory, "--socket-dir-path", SocketDirectory,
            .. (request.Terminal ? (string[])["-t"] : []),
            .. (request.Stdin ? (string[])["-i"] : []),
            .. (request.Stdin && !request.StdinOnce ? (string[])["--leave-stdin-open"] : []),
        ];
        string[] env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "_OCI_SYNCPIPE=3", "_OCI_STARTPIPE=4"];

        var sync = Spawn.Pipe();
        var start = Spawn.Pipe();
        int conmonParent;
        try
        {
            conmonParent = Spawn.Start(argv[0], argv, env, [sync.Write, start.Read]);
        }
        catch
        {
            Spawn.Close(sync.Read);
            Spawn.Close(start.Write);
            throw;
        }
        finally
        {
            Spawn.Close(sync.Write);
            Spawn.Close(start.Read);
        }
        // conmon waits on the start pipe so that a caller can move it into a cgroup first; we keep it in ours.
        using (var startPipe = new AnonymousPipeClientStream(PipeDirection.Out, new SafePipeHandle(start.Write, ownsHandle: true)))
        {
            startPipe.WriteByte(0);
        }
        _ = Task.Factory.StartNew(() => Spawn.Wait(conmonParent), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        string? line;
        using (var syncPipe = new AnonymousPipeClientStream(PipeDirection.In, new SafePipeHandle(sync.Read, ownsHandle: true)))
        using (var reader = new StreamReader(syncPipe))
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            cts.CancelAfter(CreateTimeout);
            try
            {
                line = await reader.ReadLineAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                KillMonitor(conmonPidFile);
                throw new OperationFailedException($"conmon did not report the container within {CreateTimeout.TotalSeconds} s");
            }
        }
        var pid = ParseSyncLine(line, request.Handler.Name);
        var startTime = Processes.StartTime(pid) ?? throw new OperationFailedException($"container process {pid} vanished right after create");
        // conmon writes its pid file before it runs create; 0 (unknown) is harmless, the exit file still comes.
        var monitorPid = File.Exists(conmonPidFile) && int.TryParse(File.ReadAllText(conmonPidFile).Trim(), out var m) ? m : 0;
        LogCreated(logger, request.Id, pid, monitorPid);
        return new MonitoredContainer(pid, startTime, monitorPid, monitorPid > 0 ? Processes.StartTime(monitorPid) ?? 0 : 0);
    }

    /// <summary>
    /// conmon's control fifo (bundle/ctl) takes "type height width" lines; type 2 reopens the log, as CRI-O's
    /// ReopenContainerLog sends it. conmon recreates the file at the log path, which is how we know it is done.
    /// </summary>
    public async Task ReopenLogAsync(string id, string bundlePath, string logPath, CancellationToken cancellationToken)
    {
        var ctl = Path.Combine(bundlePath, "ctl");
        if (!File.Exists(ctl)) throw new FailedPreconditionException($"container {id} has no monitor control fifo");
        // O_WRONLY on a fifo blocks until conmon has it open for reading, which it always does while running.
        await using (var fifo = new FileStream(ctl, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None))
        {
            await fifo.WriteAsync("2 0 0\n"u8.ToArray(), cancellationToken);
        }
        var deadline = DateTime.UtcNow + ReopenTimeout;
        while (!File.Exists(logPath))
        {
            if (DateTime.UtcNow > deadline) throw new OperationFailedException($"conmon did not reopen the log of {id} at {logPath}");
            await Task.Delay(5, cancellationToken);
        }
    }

    /// <summary>
    /// conmon's control fifo: type 1 is a resize, "1 height width" (CRI-O's ResizeTerminal). Opened without
    /// blocking: if conmon is gone nobody reads the fifo, and a resize must not wait for a reader forever.
    /// </summary>
    public Task ResizeTerminalAsync(string id, string bundlePath, ushort width, ushort height, CancellationToken cancellationToken)
    {
        var ctl = Path.Combine(bundlePath, "ctl");
        if (!File.Exists(ctl) || !Fifo.TryWrite(ctl, System.Text.Encoding.ASCII.GetBytes($"1 {height} {width}\n")))
        {
            throw new FailedPreconditionException($"container {id}: its monitor does not read its control fifo");
        }
        return Task.CompletedTask;
    }

    public string AttachSocketPath(string id) => Path.Combine(SocketDirectory, id, "attach");

    public void Cleanup(string id)
    {
        File.Delete(Path.Combine(ExitDirectory, id));
        var link = Path.Combine(SocketDirectory, id);
        if (File.Exists(link) || Directory.Exists(link) || new FileInfo(link).LinkTarget is not null) File.Delete(link);
    }

    private static int ParseSyncLine(string? line, string handler)
    {
        if (line is null)
        {
            throw new OperationFailedException("conmon exited without reporting the container (see the daemon log for conmon's syslog output)");
        }
        using var doc = JsonDocument.Parse(line);
        var data = doc.RootElement.TryGetProperty("data", out var d) && d.TryGetInt32(out var v) ? v : -1;
        if (data > 0) return data;
        var message = doc.RootElement.TryGetProperty("message", out var msg) ? msg.GetString() : null;
        throw new OperationFailedException($"{handler} create failed: {ChildProcess.Summarize(message ?? line)}");
    }

    private static void KillMonitor(string conmonPidFile)
    {
        if (File.Exists(conmonPidFile) && int.TryParse(File.ReadAllText(conmonPidFile).Trim(), out var pid))
        {
            Processes.Kill(pid, 9);
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "created {Id}: pid {Pid}, conmon {MonitorPid}")]
    private static partial void LogCreated(ILogger logger, string id, int pid, int monitorPid);
}
