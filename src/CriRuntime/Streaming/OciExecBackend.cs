using System.Threading.Channels;
using CriRuntime.Configuration;
using CriRuntime.Linux;
using Microsoft.Win32.SafeHandles;

namespace CriRuntime.Streaming;

/// <summary>
/// Exec through the container's OCI runtime. Without a TTY the runtime's stdio pipes are the process's; with one,
/// the runtime sends the pty master over a console socket and resize messages become TIOCSWINSZ on it. The
/// session's token firing (client gone, idle timeout, daemon stopping) kills the process and everything it started.
/// </summary>
internal sealed class OciExecBackend(DaemonOptions options) : IExecBackend
{
    /// <summary>How long output may keep flowing after the process exits (its orphans can hold the pipes open).</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    private string WorkRoot => Path.Combine(options.RunRoot, "exec");

    public async Task<CommandOutcome> ExecAsync(ExecSpec spec, RemoteCommandStreams streams, CancellationToken cancellationToken)
    {
        if (spec.Tty && HostConsoleExec.IsNeededFor(spec.Container.Runtime.Path)) return await ExecWithHostConsoleAsync(spec, streams, cancellationToken);
        using var exec = RuntimeExecProcess.Start(WorkRoot, spec.Container, spec.Command, spec.Tty);
        using var kill = cancellationToken.Register(exec.Kill);
        using var copies = new CancellationTokenSource();
        var tasks = spec.Tty ? await StartTtyCopiesAsync(exec, streams, copies.Token, cancellationToken) : StartPipeCopies(exec, streams, copies.Token);
        await exec.Process.WaitForExitAsync(CancellationToken.None);
        await DrainAsync(tasks, copies);
        cancellationToken.ThrowIfCancellationRequested();
        return exec.RuntimeError() is { } error ? CommandOutcome.Failed($"exec in container {spec.Container.Id}: {error}") : new CommandOutcome(exec.ExitCode);
    }

    private async Task<CommandOutcome> ExecWithHostConsoleAsync(ExecSpec spec, RemoteCommandStreams streams, CancellationToken cancellationToken)
    {
        using var exec = HostConsoleExec.Start(WorkRoot, spec.Container, spec.Command);
        using var kill = cancellationToken.Register(exec.Kill);
        using var copies = new CancellationTokenSource();
        var terminal = new FileStream(exec.Master, FileAccess.ReadWrite, bufferSize: 0, isAsync: false);
        StartResizing(streams.Resize, exec.Resize, copies.Token);
        var output = Copy(terminal, streams.Stdout, copies.Token);
        _ = Copy(streams.Stdin, terminal, copies.Token);
        await exec.Exited;
        await DrainAsync([output], copies);
        await copies.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        return exec.RuntimeError() is { } error ? CommandOutcome.Failed($"exec in container {spec.Container.Id}: {error}") : new CommandOutcome(exec.ExitCode);
    }

    private static List<Task> StartPipeCopies(RuntimeExecProcess exec, RemoteCommandStreams streams, CancellationToken token)
    {
        var p = exec.Process;
        var stdinPipe = p.StandardInput.BaseStream;
        var tasks = new List<Task>
        {
            Copy(p.StandardOutput.BaseStream, streams.Stdout, token),
            Copy(p.StandardError.BaseStream, streams.Stderr, token),
        };
        // stdin is not awaited: the client may keep it open after the process ends.
        _ = Task.Run(async () =>
        {
            await Copy(streams.Stdin, stdinPipe, token);
            try
            {
                stdinPipe.Close();
            }
            catch (IOException)
            {
            }
        }, CancellationToken.None);
        return tasks;
    }

    private static async Task<List<Task>> StartTtyCopiesAsync(RuntimeExecProcess exec, RemoteCommandStreams streams, CancellationToken token, CancellationToken cancellationToken)
    {
        exec.Process.StandardInput.Close();
        var runtimeOutput = Copy(exec.Process.StandardOutput.BaseStream, null, token);
        var runtimeErrors = Copy(exec.Process.StandardError.BaseStream, null, token);
        SafeFileHandle master;
        using (var received = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // The runtime either connects or exits with an error; do not wait for a connection that cannot come.
            var receive = exec.Console!.ReceiveMasterAsync(received.Token);
            var exited = exec.Process.WaitForExitAsync(received.Token);
            if (await Task.WhenAny(receive, exited) != receive)
            {
                await received.CancelAsync();
                return [runtimeOutput, runtimeErrors];
            }
            master = await receive;
        }
        StartResizing(streams.Resize, size =>
        {
            if (!master.IsClosed) Terminal.SetWindowSize(master, size.Width, size.Height);
        }, token);
        var terminal = new FileStream(master, FileAccess.ReadWrite, bufferSize: 0, isAsync: false);
        var output = Task.Run(async () =>
        {
            await Copy(terminal, streams.Stdout, token);
            await terminal.DisposeAsync();
        }, CancellationToken.None);
        _ = Copy(streams.Stdin, terminal, token);
        return [output, runtimeOutput, runtimeErrors];
    }

    /// <summary>
    /// Applies the client's terminal sizes as they come. Sizes that arrived before the terminal existed (kubectl
    /// sends the initial size at once) are applied now, before any input is copied, so the process never starts
    /// with a 0x0 window.
    /// </summary>
    private static void StartResizing(ChannelReader<TerminalSize>? sizes, Action<TerminalSize> apply, CancellationToken token)
    {
        if (sizes is null) return;
        void TryApply(TerminalSize size)
        {
            try
            {
                apply(size);
            }
            catch (Exception e) when (e is LinuxException or ObjectDisposedException)
            {
                // The process is gone, or the terminal closed with it.
            }
        }
        TerminalSize? latest = null;
        while (sizes.TryRead(out var pending)) latest = pending;
        if (latest is { } first) TryApply(first);
        _ = Task.Run(async () =>
        {
            await foreach (var size in sizes.ReadAllAsync(token)) TryApply(size);
        }, CancellationToken.None);
    }

    private static async Task Copy(Stream? from, Stream? to, CancellationToken token)
    {
        if (from is null) return;
        var buffer = new byte[32 * 1024];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, token)) > 0)
            {
                if (to is not null) await to.WriteAsync(buffer.AsMemory(0, n), token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // EIO from a pty master whose slave is closed is its end of file.
        }
    }

    private static async Task DrainAsync(List<Task> tasks, CancellationTokenSource copies)
    {
        var all = Task.WhenAll(tasks);
        if (await Task.WhenAny(all, Task.Delay(DrainGrace)) != all) await copies.CancelAsync();
        await all.WaitAsync(DrainGrace).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
