using CriRuntime.Linux;

namespace CriRuntime.Storage;

/// <summary>Bytes allocated and inodes used under a directory, as ImageFsInfo reports them (hard links count once).</summary>
internal static class DiskUsage
{
    public static (ulong Bytes, ulong Inodes) Measure(string root)
    {
        var seen = new HashSet<ulong>();
        ulong bytes = 0;
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var path = pending.Pop();
            if (FileNodes.LStat(path) is not { } stat) continue;
            if (stat.Links > 1 && !stat.IsDirectory && !seen.Add(stat.Inode)) continue;
            seen.Add(stat.Inode);
            bytes += (ulong)stat.Blocks;
            if (!stat.IsDirectory) continue;
            try
            {
                foreach (var child in Directory.EnumerateFileSystemEntries(path)) pending.Push(child);
            }
            catch (DirectoryNotFoundException)
            {
                // Removed while we walked (a layer being garbage collected).
            }
        }
        return (bytes, (ulong)seen.Count);
    }
}
