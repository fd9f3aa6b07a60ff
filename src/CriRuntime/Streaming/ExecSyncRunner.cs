using CriRuntime.Configuration;
using CriRuntime.Errors;

namespace CriRuntime.Streaming;

/// <summary>The result of ExecSync: stdout then stderr, together at most <see cref="ExecSyncRunner.MaxResponseOutput"/> bytes.</summary>
internal sealed record ExecSyncResult(byte[] Stdout, byte[] Stderr, int ExitCode, bool StdoutTruncated, bool StderrTruncated);

/// <summary>
/// CRI ExecSync: run a command through the runtime's exec, collect stdout and stderr, return the exit code.
/// Output beyond 16 MiB per stream is read and discarded (CVE-2022-1708, CVE-2022-31030: an unbounded buffer let
/// a probe exhaust the runtime's memory). A timeout kills the process and everything it started and throws
/// DeadlineExceeded; no process, pipe or work directory outlives the call.
/// </summary>
internal sealed class ExecSyncRunner(DaemonOptions options)
{
    public const int MaxOutput = 16 * 1024 * 1024;

    /// <summary>
    /// What one ExecSyncResponse carries: kubelet (and crictl) receive at most 16 MiB per message, and so do we
    /// send, so stdout and stderr together leave room for the response's framing. Stdout is kept first, as in a
    /// combined output; containerd caps each stream at 16 MiB and then fails the whole call with RESOURCE_EXHAUSTED.
    /// </summary>
    public const int MaxResponseOutput = MaxOutput - 16 * 1024;
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    /// <param name="timeout">Zero or less: no timeout (CRI: timeout 0 means forever).</param>
    public async Task<ExecSyncResult> RunAsync(ContainerTarget container, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (command.Count == 0) throw new InvalidArgumentException("ExecSync: cmd is empty");
        using var exec = RuntimeExecProcess.Start(Path.Combine(options.RunRoot, "exec"), container, command, tty: false);
        exec.Process.StandardInput.Close();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout > TimeSpan.Zero) deadline.CancelAfter(timeout);
        using var kill = deadline.Token.Register(exec.Kill);
        using var drain = new CancellationTokenSource();
        var stdout = new CappedBuffer(MaxOutput);
        var stderr = new CappedBuffer(MaxOutput);
        var reads = Task.WhenAll(stdout.FillAsync(exec.Process.StandardOutput.BaseStream, drain.Token), stderr.FillAsync(exec.Process.StandardError.BaseStream, drain.Token));
        await exec.Process.WaitForExitAsync(CancellationToken.None);
        // Background children of the command may hold the pipes open; their output after the exit is not waited for long.
        if (await Task.WhenAny(reads, Task.Delay(DrainGrace, CancellationToken.None)) != reads) await drain.CancelAsync();
        await reads;
        cancellationToken.ThrowIfCancellationRequested();
        if (deadline.IsCancellationRequested) throw new DeadlineExceededException($"ExecSync {string.Join(' ', command)} in {container.Id}: timed out after {timeout.TotalSeconds:0.###}s; the process was killed");
        if (exec.RuntimeError() is { } error) throw new OperationFailedException($"ExecSync in {container.Id}: {error}");
        var kept = stdout.ToArray(MaxResponseOutput);
        var keptErrors = stderr.ToArray(MaxResponseOutput - kept.Length);
        return new ExecSyncResult(kept, keptErrors, exec.ExitCode, stdout.Truncated || kept.Length < stdout.Length, stderr.Truncated || keptErrors.Length < stderr.Length);
    }

    private sealed class CappedBuffer(int cap)
    {
        private readonly MemoryStream _kept = new();

        public bool Truncated { get; private set; }

        public async Task FillAsync(Stream source, CancellationToken cancellationToken)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = await source.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    var room = cap - (int)_kept.Length;
                    if (n > room) Truncated = true;
                    if (room > 0) _kept.Write(buffer, 0, Math.Min(n, room));
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        public long Length => _kept.Length;

        public byte[] ToArray(int max) => _kept.Length <= max ? _kept.ToArray() : _kept.GetBuffer().AsSpan(0, max).ToArray();
    }
}
