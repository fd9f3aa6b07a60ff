using System.Runtime.InteropServices;

namespace CriRuntime.Recovery;

/// <summary>
/// TEST-ONLY crash injection. With <c>CRIRUNTIME_FAILPOINT=&lt;name&gt;</c> in the daemon's environment (read once at
/// start), the daemon kills itself with SIGKILL when execution reaches <c>Failpoint.Hit("&lt;name&gt;")</c>, as a
/// crash or the OOM killer would at that step; the fault-injection tests then restart it and check what recovery
/// made of the half-done work. Without the variable every point is a single comparison with null and does nothing.
/// Never set it in production.
/// </summary>
internal static partial class Failpoint
{
    public const string Variable = "CRIRUNTIME_FAILPOINT";

    private static readonly string? s_armed = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } name ? name : null;

    /// <summary>Dies here (SIGKILL to ourselves) if this is the armed failpoint.</summary>
    public static void Hit(string name)
    {
        if (s_armed is null || !string.Equals(s_armed, name, StringComparison.Ordinal)) return;
        // Straight to stderr, not the logger's queue: the line must be out before the process is.
        Console.Error.WriteLine($"criruntime: failpoint {name} reached; killing the daemon with SIGKILL");
        Console.Error.Flush();
        _ = Native.kill(Environment.ProcessId, 9);
        Thread.Sleep(Timeout.Infinite);
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int kill(int pid, int signal);
    }
}
