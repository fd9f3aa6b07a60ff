namespace CriRuntime.Hosting.Http2;

/// <summary>
/// One decoded header. Names and values are kept as Latin-1 strings so every octet round-trips exactly
/// (HPACK strings are octets, and Latin-1 maps each octet to one char).
/// </summary>
internal readonly record struct HeaderField(string Name, string Value)
{
    /// <summary>RFC 7541 §4.1: an entry's size is its name and value lengths plus 32.</summary>
    public int Size => Name.Length + Value.Length + 32;
}
