using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace CriRuntime.Stats;

/// <summary>
/// Reads cgroupfs and procfs files without spawning anything and with little allocation: one pooled buffer per
/// read, numbers parsed straight from the bytes. Kubelet polls stats of every container every 10 s, so this runs
/// often.
/// </summary>
internal static class CgroupFile
{
    /// <summary>cgroup v2 writes "max" for no limit; callers see it as this value.</summary>
    public const ulong Unlimited = ulong.MaxValue;

    private const int MaxFileBytes = 1 << 20;

    /// <summary>A file holding one number (or "max"); null when the file does not exist or does not parse.</summary>
    public static ulong? ReadValue(string path)
    {
        Span<byte> buffer = stackalloc byte[64];
        var length = ReadInto(path, buffer);
        if (length < 0) return null;
        var text = buffer[..length].TrimEnd("\n "u8);
        if (text.SequenceEqual("max"u8)) return Unlimited;
        return TryParse(text, out var value) ? value : null;
    }

    /// <summary>
    /// A flat keyed file ("key value" per line: memory.stat, cpu.stat, cpuacct.stat): fills values[i] for keys[i]
    /// (left null when the key is absent). False when the file does not exist.
    /// </summary>
    public static bool ReadKeyed(string path, ReadOnlySpan<string> keys, Span<ulong?> values)
    {
        values.Clear();
        var content = ReadAll(path, out var rented);
        if (content < 0) return false;
        try
        {
            var data = rented.AsSpan(0, content);
            while (data.Length > 0)
            {
                var end = data.IndexOf((byte)'\n');
                var line = end < 0 ? data : data[..end];
                data = end < 0 ? [] : data[(end + 1)..];
                var space = line.IndexOf((byte)' ');
                if (space <= 0 || !TryParse(line[(space + 1)..].Trim((byte)' '), out var value)) continue;
                var key = line[..space];
                for (var i = 0; i < keys.Length; i++)
                {
                    if (values[i] is null && Matches(key, keys[i])) values[i] = value;
                }
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The number of non-empty lines (cgroup.procs: one pid a line); null when the file does not exist.</summary>
    public static ulong? CountLines(string path)
    {
        var content = ReadAll(path, out var rented);
        if (content < 0) return null;
        try
        {
            var data = rented.AsSpan(0, content);
            ulong count = 0;
            var start = 0;
            for (var i = 0; i < data.Length; i++)
            {
                if (data[i] != '\n') continue;
                if (i > start) count++;
                start = i + 1;
            }
            return start < data.Length ? count + 1 : count;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The whole file into a pooled buffer (caller returns it); -1 when it does not exist.</summary>
    public static int ReadAll(string path, out byte[] rented)
    {
        rented = ArrayPool<byte>.Shared.Rent(4096);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ArrayPool<byte>.Shared.Return(rented);
            rented = [];
            return -1;
        }
        using (handle)
        {
            var total = 0;
            while (true)
            {
                if (total == rented.Length)
                {
                    if (rented.Length >= MaxFileBytes) return total;
                    var bigger = ArrayPool<byte>.Shared.Rent(rented.Length * 2);
                    rented.AsSpan(0, total).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = bigger;
                }
                int read;
                try
                {
                    read = RandomAccess.Read(handle, rented.AsSpan(total), total);
                }
                catch (IOException)
                {
                    // The cgroup was removed between open and read.
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = [];
                    return -1;
                }
                if (read == 0) return total;
                total += read;
            }
        }
    }

    public static bool TryParse(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty) return false;
        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            var digit = (ulong)(b - '0');
            if (value > (ulong.MaxValue - digit) / 10) return false;
            value = value * 10 + digit;
        }
        return true;
    }

    private static int ReadInto(string path, Span<byte> buffer)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            return RandomAccess.Read(handle, buffer, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static bool Matches(ReadOnlySpan<byte> key, string expected)
    {
        if (key.Length != expected.Length) return false;
        for (var i = 0; i < key.Length; i++)
        {
            if (key[i] != expected[i]) return false;
        }
        return true;
    }
}
