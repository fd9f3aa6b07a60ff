namespace CriRuntime.Bench;

/// <summary>Finds which process listens on a unix socket path, from /proc/net/unix and /proc/*/fd.</summary>
internal static class SocketOwner
{
    public static int? FindListeningPid(string socketPath)
    {
        // /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path"; flag 00010000 is __SO_ACCEPTCON (listening).
        var inode = File.ReadLines("/proc/net/unix").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 8 && f[7] == socketPath && f[3] == "00010000")
            .Select(f => f[6]).FirstOrDefault();
        if (inode is null) return null;
        var target = $"socket:[{inode}]";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (Directory.EnumerateFiles(Path.Combine(dir, "fd")).Any(fd => new FileInfo(fd).LinkTarget == target)) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return null;
    }
}
