namespace CriRuntime.Hosting.Http2;

/// <summary>The 61 entries every HPACK peer knows (RFC 7541 Appendix A); index 1 is the first.</summary>
internal static class HpackStaticTable
{
    public const int Count = 61;

    private static readonly HeaderField[] Entries =
    [
        new(":authority", ""), new(":method", "GET"), new(":method", "POST"), new(":path", "/"),
        new(":path", "/index.html"), new(":scheme", "http"), new(":scheme", "https"), new(":status", "200"),
        new(":status", "204"), new(":status", "206"), new(":status", "304"), new(":status", "400"),
        new(":status", "404"), new(":status", "500"), new("accept-charset", ""), new("accept-encoding", "gzip, deflate"),
        new("accept-language", ""), new("accept-ranges", ""), new("accept", ""), new("access-control-allow-origin", ""),
        new("age", ""), new("allow", ""), new("authorization", ""), new("cache-control", ""),
        new("content-disposition", ""), new("content-encoding", ""), new("content-language", ""), new("content-length", ""),
        new("content-location", ""), new("content-range", ""), new("content-type", ""), new("cookie", ""),
        new("date", ""), new("etag", ""), new("expect", ""), new("expires", ""),
        new("from", ""), new("host", ""), new("if-match", ""), new("if-modified-since", ""),
        new("if-none-match", ""), new("if-range", ""), new("if-unmodified-since", ""), new("last-modified", ""),
        new("link", ""), new("location", ""), new("max-forwards", ""), new("proxy-authenticate", ""),
        new("proxy-authorization", ""), new("range", ""), new("referer", ""), new("refresh", ""),
        new("retry-after", ""), new("server", ""), new("set-cookie", ""), new("strict-transport-security", ""),
        new("transfer-encoding", ""), new("user-agent", ""), new("vary", ""), new("via", ""),
        new("www-authenticate", ""),
    ];

    private static readonly Dictionary<string, int> NameIndex = BuildNameIndex();

    public static HeaderField Get(int index) => Entries[index - 1];

    /// <summary>The lowest index whose name matches, or 0.</summary>
    public static int FindName(string name) => NameIndex.GetValueOrDefault(name);

    /// <summary>The index of an exact name and value match, or 0.</summary>
    public static int Find(HeaderField field)
    {
        var index = FindName(field.Name);
        if (index == 0) return 0;
        for (var i = index; i <= Count && Entries[i - 1].Name == field.Name; i++)
        {
            if (Entries[i - 1].Value == field.Value) return i;
        }
        return 0;
    }

    private static Dictionary<string, int> BuildNameIndex()
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = Count; i >= 1; i--) map[Entries[i - 1].Name] = i;
        return map;
    }
}
