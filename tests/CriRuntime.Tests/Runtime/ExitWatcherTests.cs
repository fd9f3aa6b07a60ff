using CriRuntime.Runtime;

namespace CriRuntime.Tests.Runtime;

public sealed class ExitWatcherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("criruntime-exits-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class DirectoryMonitor(string dir) : IContainerMonitor
    {
        public string ExitDirectory => dir;

        public Task<MonitoredContainer> CreateAsync(MonitorRequest request, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task ReopenLogAsync(string id, string bundlePath, string logPath, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task ResizeTerminalAsync(string id, string bundlePath, ushort width, ushort height, CancellationToken cancellationToken) => throw new NotSupportedException();

        public string AttachSocketPath(string id) => throw new NotSupportedException();

        public void Cleanup(string id)
        {
        }
    }

    [Fact]
    public async Task WaitAsync_ExitFileRenamedIntoPlace_Completes()
    {
        using var watcher = new ExitWatcher(new DirectoryMonitor(_dir));
        var wait = watcher.WaitAsync("ctr1", TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.False(wait.IsCompleted);

        // As conmon writes it (g_file_set_contents): a temp file renamed over the target.
        File.WriteAllText(Path.Combine(_dir, ".ctr1.tmp"), "137");
        File.Move(Path.Combine(_dir, ".ctr1.tmp"), Path.Combine(_dir, "ctr1"));

        await wait;
        Assert.Equal(137, watcher.ExitCode("ctr1"));
    }

    [Fact]
    public async Task WaitAsync_AlreadyExited_CompletesAtOnce()
    {
        File.WriteAllText(Path.Combine(_dir, "ctr2"), "0");
        using var watcher = new ExitWatcher(new DirectoryMonitor(_dir));

        await watcher.WaitAsync("ctr2", TimeSpan.FromMilliseconds(1), CancellationToken.None);

        Assert.Equal(0, watcher.ExitCode("ctr2"));
        Assert.Null(watcher.ExitCode("never-ran"));
    }

    [Fact]
    public async Task WaitAsync_NoExit_TimesOut()
    {
        using var watcher = new ExitWatcher(new DirectoryMonitor(_dir));

        await Assert.ThrowsAsync<TimeoutException>(() => watcher.WaitAsync("ctr3", TimeSpan.FromMilliseconds(50), CancellationToken.None));
    }
}
