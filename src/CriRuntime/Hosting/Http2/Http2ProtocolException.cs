namespace CriRuntime.Hosting.Http2;

/// <summary>
/// The client sent HTTP/2 or HPACK we cannot follow (RFC 7540 PROTOCOL_ERROR, FRAME_SIZE_ERROR or
/// COMPRESSION_ERROR). Its connection is closed; no other connection is affected.
/// </summary>
internal sealed class Http2ProtocolException(string message) : Exception(message);
