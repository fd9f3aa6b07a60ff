namespace CriRuntime.Streaming;

/// <summary>
/// Cancels a session when nothing was read or written for <c>api.stream_idle_timeout</c> (kubelet's
/// streamIdleTimeout, 4 h by default). Activity is recorded with <see cref="Touch"/>; the check runs on a timer.
/// </summary>
internal sealed class IdleWatch : IDisposable
{
    private readonly Timer? _timer;
    private readonly long _timeoutMs;
    private long _last = Environment.TickCount64;

    public IdleWatch(TimeSpan timeout, CancellationTokenSource session)
    {
        if (timeout <= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan) return;
        _timeoutMs = (long)timeout.TotalMilliseconds;
        var period = TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 4, 50, 30_000));
        _timer = new Timer(_ =>
        {
            if (Environment.TickCount64 - Interlocked.Read(ref _last) <= _timeoutMs) return;
            try
            {
                session.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }, null, period, period);
    }

    public void Touch() => Interlocked.Exchange(ref _last, Environment.TickCount64);

    public void Dispose() => _timer?.Dispose();
}
