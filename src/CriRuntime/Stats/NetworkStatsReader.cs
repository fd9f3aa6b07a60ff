using System.Buffers;
using CriRuntime.Linux;

namespace CriRuntime.Stats;

/// <summary>Counters of one network interface, as /proc/net/dev reports them.</summary>
internal sealed record InterfaceCounters(
    string Name, ulong RxBytes, ulong RxPackets, ulong RxErrors, ulong RxDropped,
    ulong TxBytes, ulong TxPackets, ulong TxErrors, ulong TxDropped);

/// <summary>
/// Per-interface rx/tx counters inside a pod's network namespace, without spawning anything: /proc/&lt;pause
/// pid&gt;/net/dev while the pause lives (checked against its start time, so a reused pid is never read), else
/// /proc/thread-self/net/dev from a thread that entered the pinned netns.
/// </summary>
internal static class NetworkStatsReader
{
    /// <summary>The pod's interfaces (loopback included; callers skip it), or empty when the netns is gone.</summary>
    public static async Task<IReadOnlyList<InterfaceCounters>> ReadAsync(int pausePid, ulong pauseStartTime, string? netnsPath)
    {
        if (pausePid > 0 && Processes.IsAlive(pausePid, pauseStartTime))
        {
            var counters = ReadFile($"/proc/{pausePid}/net/dev");
            // The pid may have been reused between the check and the read.
            if (counters is not null && Processes.IsAlive(pausePid, pauseStartTime)) return counters;
        }
        if (netnsPath is null || !File.Exists(netnsPath)) return [];
        try
        {
            return await NetworkNamespaceThread.RunAsync(netnsPath, () => ReadFile("/proc/thread-self/net/dev") ?? []);
        }
        catch (LinuxException)
        {
            // The pin was removed while we entered it: the pod is being torn down.
            return [];
        }
    }

    /// <summary>Parses a /proc/net/dev file; null when it does not exist.</summary>
    public static IReadOnlyList<InterfaceCounters>? ReadFile(string path)
    {
        var length = CgroupFile.ReadAll(path, out var rented);
        if (length < 0) return null;
        try
        {
            return Parse(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// "  eth0: rxbytes rxpackets rxerrs rxdrop fifo frame compressed multicast txbytes txpackets txerrs txdrop ..."
    /// after two header lines.
    /// </summary>
    public static List<InterfaceCounters> Parse(ReadOnlySpan<byte> data)
    {
        var result = new List<InterfaceCounters>();
        Span<ulong> fields = stackalloc ulong[16];
        while (data.Length > 0)
        {
            var end = data.IndexOf((byte)'\n');
            var line = end < 0 ? data : data[..end];
            data = end < 0 ? [] : data[(end + 1)..];
            var colon = line.IndexOf((byte)':');
            if (colon < 0) continue;
            var name = line[..colon].Trim((byte)' ');
            if (name.IsEmpty || name.IndexOf((byte)'|') >= 0) continue;
            var rest = line[(colon + 1)..];
            var count = 0;
            while (count < fields.Length)
            {
                rest = rest.TrimStart((byte)' ');
                if (rest.IsEmpty) break;
                var space = rest.IndexOf((byte)' ');
                var token = space < 0 ? rest : rest[..space];
                rest = space < 0 ? [] : rest[space..];
                if (!CgroupFile.TryParse(token, out fields[count])) break;
                count++;
            }
            if (count < 12) continue;
            result.Add(new InterfaceCounters(System.Text.Encoding.ASCII.GetString(name),
                fields[0], fields[1], fields[2], fields[3], fields[8], fields[9], fields[10], fields[11]));
        }
        return result;
    }
}
