using CriRuntime.Linux;
using Microsoft.Win32.SafeHandles;

namespace CriRuntime.Streaming;

/// <summary>
/// A TTY exec through a runtime that wants a terminal of its own: runc 1.1 refuses <c>--console-socket</c> in a
/// foreground exec ("cannot use console socket if runc will not detach or allocate tty"), and with <c>--tty</c>
/// alone it uses its stdio as the host console: it sets it raw, copies it to and from the container's pty, and
/// copies that console's window size to the container's at start and on SIGWINCH. So runc gets the slave of a pty
/// pair of ours as stdin, stdout and stderr; we keep the master, and a resize is TIOCSWINSZ on it plus SIGWINCH
/// to runc. runc stays our child, so its exit status (the exec'd process's) is ours to collect.
/// </summary>
internal sealed class HostConsoleExec : IDisposable
{
    private const int SigWinch = 28, SigKill = 9;
    private static readonly string[] Environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];

    private readonly string _dir;
    private readonly string _runtimePath;
    private readonly int _runtimePid;
    private int _status = -1;

    private HostConsoleExec(string dir, string runtimePath, int runtimePid, SafeFileHandle master)
    {
        _dir = dir;
        _runtimePath = runtimePath;
        _runtimePid = runtimePid;
        Master = master;
        Exited = Task.Factory.StartNew(() => _status = Spawn.Wait(runtimePid), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Runtimes whose foreground TTY exec needs this (by binary name; runc forks such as runc.amd64 included).</summary>
    public static bool IsNeededFor(string runtimePath) => Path.GetFileName(runtimePath).StartsWith("runc", StringComparison.Ordinal);

    /// <summary>Our end of the terminal: what the process writes, and where its input goes.</summary>
    public SafeFileHandle Master { get; }

    /// <summary>Completes when the runtime (hence the exec'd process) has exited.</summary>
    public Task Exited { get; }

    /// <summary>The exit status in the shell convention (128+N for signal N).</summary>
    public int ExitCode => (_status & 0x7f) == 0 ? (_status >> 8) & 0xff : 128 + (_status & 0x7f);

    public static HostConsoleExec Start(string workRoot, ContainerTarget container, IReadOnlyList<string> command)
    {
        var dir = RuntimeExecProcess.CreateWorkDir(workRoot, container, command, tty: true);
        SafeFileHandle? master = null;
        var slave = -1;
        try
        {
            (master, slave) = PseudoTerminal.Open();
            List<string> argv = [container.Runtime.Path, .. RuntimeExecProcess.Arguments(dir, container, tty: true, consoleSocket: null)];
            var pid = Spawn.Start(container.Runtime.Path, argv, Environment, [], stdio: slave);
            return new HostConsoleExec(dir, container.Runtime.Path, pid, master);
        }
        catch
        {
            master?.Dispose();
            Directory.Delete(dir, recursive: true);
            throw;
        }
        finally
        {
            // Only the runtime holds the slave: when it exits, reads on the master end (EIO).
            Spawn.Close(slave);
        }
    }

    public string? RuntimeError() =>
        RuntimeExecProcess.ReadExecPid(_dir) is not null ? null : RuntimeExecProcess.ReadRuntimeError(_dir, _runtimePath, ExitCode);

    public void Resize(TerminalSize size)
    {
        if (Master.IsClosed || Exited.IsCompleted) return;
        Terminal.SetWindowSize(Master, size.Width, size.Height);
        Processes.Kill(_runtimePid, SigWinch);
    }

    public void Kill()
    {
        if (RuntimeExecProcess.ReadExecPid(_dir) is { } pid) ProcessTree.Kill(pid);
        if (!Exited.IsCompleted) Processes.Kill(_runtimePid, SigKill);
    }

    public void Dispose()
    {
        Master.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
