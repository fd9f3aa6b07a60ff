using System.Collections.Concurrent;
using System.Security.Cryptography;
using CriRuntime.Errors;

namespace CriRuntime.Streaming;

/// <summary>
/// Pending streaming requests by token. Tokens are 256 random bits, single use, and expire after a minute like
/// kubelet's request cache; the count is bounded so a client calling Exec in a loop cannot grow memory.
/// </summary>
internal sealed class StreamingTokens(TimeProvider time, TimeSpan lifetime, int capacity = StreamingTokens.DefaultCapacity)
{
    public const int DefaultCapacity = 1000;
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public string Add(object request)
    {
        if (_entries.Count >= capacity) RemoveExpired();
        if (_entries.Count >= capacity) throw new ResourceExhaustedException($"too many pending streaming requests ({capacity}); try again in a minute");
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        _entries[token] = new Entry(request, time.GetUtcNow() + lifetime);
        return token;
    }

    /// <summary>Takes the request out (a token works once). Unknown, used or expired tokens give null.</summary>
    public T? Take<T>(string token) where T : class
    {
        if (!_entries.TryRemove(token, out var entry)) return null;
        if (entry.Expires <= time.GetUtcNow()) return null;
        return entry.Request as T;
    }

    private void RemoveExpired()
    {
        var now = time.GetUtcNow();
        foreach (var (token, entry) in _entries)
        {
            if (entry.Expires <= now) _entries.TryRemove(token, out _);
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record Entry(object Request, DateTimeOffset Expires);
}
