using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using CriRuntime.Api.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Harness;

/// <summary>
/// A real criruntime process with its own socket, state directories and CNI config directory under a temp dir.
/// <code>await using var daemon = await CriDaemon.StartAsync(output);</code>
/// Disposing stops it (SIGTERM, then SIGKILL), writes its log to the test output and deletes the temp dir.
/// </summary>
public sealed class CriDaemon : IAsyncDisposable
{
    private readonly ITestOutputHelper? _output;
    private readonly StringBuilder _log = new();
    private Process? _process;
    private GrpcChannel? _channel;

    private CriDaemon(ITestOutputHelper? output, DaemonSettings settings)
    {
        _output = output;
        Settings = settings;
    }

    public DaemonSettings Settings { get; }
    public string Socket => Settings.Socket;
    public int Pid => _process?.Id ?? 0;
    public RuntimeService.RuntimeServiceClient Runtime { get; private set; } = null!;
    public ImageService.ImageServiceClient Images { get; private set; } = null!;

    /// <summary>Everything the daemon wrote to stderr and stdout so far.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static async Task<CriDaemon> StartAsync(ITestOutputHelper? output, Action<DaemonSettings>? configure = null)
    {
        var settings = DaemonSettings.InTempDir();
        configure?.Invoke(settings);
        var daemon = new CriDaemon(output, settings);
        try
        {
            await daemon.StartProcessAsync();
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
        return daemon;
    }

    /// <summary>Starts the process again with the same settings (after <see cref="KillAsync"/> or <see cref="StopAsync"/>).</summary>
    public async Task RestartAsync()
    {
        if (_process is { HasExited: false }) await StopAsync();
        await StartProcessAsync();
    }

    /// <summary>SIGTERM and wait; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        var process = _process ?? throw new InvalidOperationException("not started");
        Signal(process.Id, 15);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    /// <summary>SIGKILL, as a crash or the OOM killer would.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("not started");
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>Waits for the process to end by itself (e.g. a failpoint killed it); returns its exit code (137 = SIGKILL).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("not started");
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    /// <summary>How often <paramref name="text"/> occurs in the log so far (the log spans restarts).</summary>
    public int LogCount(string text)
    {
        var log = Log;
        var count = 0;
        for (var i = log.IndexOf(text, StringComparison.Ordinal); i >= 0; i = log.IndexOf(text, i + text.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>Waits until <paramref name="text"/> occurs in the log more than <paramref name="seenBefore"/> times.</summary>
    public async Task WaitForLogAsync(string text, int seenBefore, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (LogCount(text) <= seenBefore)
        {
            if (deadline.Elapsed > timeout) throw new TimeoutException($"the daemon did not log \"{text}\" within {timeout.TotalSeconds} s:\n{Log}");
            await Task.Delay(20);
        }
    }

    private async Task StartProcessAsync()
    {
        var configPath = Settings.WriteConfig();
        _process = DaemonProcess.Start(["--config", configPath], AppendLog, Settings.Environment);
        _channel?.Dispose();
        _channel = UnixChannel.Create(Settings.Socket);
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"criruntime exited with {_process.ExitCode} during start:\n{Log}");
            }
            try
            {
                await Runtime.VersionAsync(new VersionRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (RpcException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(25);
            }
        }
    }

    private void AppendLog(string line)
    {
        lock (_log) _log.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Signal(process.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
            }
        }
        _channel?.Dispose();
        try
        {
            _output?.WriteLine("---- criruntime log ----\n" + Log);
        }
        catch (InvalidOperationException)
        {
            // The test already finished; xunit no longer accepts output.
        }
        Settings.Delete();
    }

    internal static void Signal(int pid, int signal) => Process.Start("kill", [$"-{signal}", pid.ToString()])!.WaitForExit();
}
