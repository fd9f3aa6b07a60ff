namespace CriRuntime.Streaming.Spdy;

/// <summary>The peer broke SPDY/3.1 framing or header compression; the session ends.</summary>
internal sealed class SpdyProtocolException(string message) : Exception(message);
