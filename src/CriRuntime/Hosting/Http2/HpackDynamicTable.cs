namespace CriRuntime.Hosting.Http2;

/// <summary>
/// An HPACK dynamic table (RFC 7541 §2.3.2, §4): newest entry first, evicted oldest first to stay within the
/// maximum size. Index 1 here is index 62 on the wire.
/// </summary>
internal sealed class HpackDynamicTable(int maxSize)
{
    private readonly List<HeaderField> _newestLast = [];

    public int MaxSize { get; private set; } = maxSize;
    public int Size { get; private set; }
    public int Count => _newestLast.Count;

    /// <summary>Entry by dynamic index, 1 = most recently added.</summary>
    public HeaderField this[int index] => _newestLast[_newestLast.Count - index];

    public void Add(HeaderField field)
    {
        // §4.4: an entry larger than the table empties it and is not added; that is not an error.
        EvictUntilFits(field.Size);
        if (field.Size > MaxSize) return;
        _newestLast.Add(field);
        Size += field.Size;
    }

    public void Resize(int maxSize)
    {
        MaxSize = maxSize;
        EvictUntilFits(0);
    }

    /// <summary>The dynamic index (1-based) of an exact match, or of a name match when value is null; 0 if none.</summary>
    public int Find(string name, string? value)
    {
        for (var i = 1; i <= Count; i++)
        {
            var e = this[i];
            if (e.Name == name && (value is null || e.Value == value)) return i;
        }
        return 0;
    }

    private void EvictUntilFits(int incoming)
    {
        var evict = 0;
        while (evict < _newestLast.Count && Size + incoming > MaxSize)
        {
            Size -= _newestLast[evict].Size;
            evict++;
        }
        _newestLast.RemoveRange(0, evict);
        if (_newestLast.Count == 0) Size = 0;
    }
}
