using System.Text.Json;
using System.Threading.Channels;

namespace CriRuntime.Streaming;

/// <summary>
/// Reads terminal sizes from the resize stream: a sequence of JSON objects <c>{"Width":W,"Height":H}</c> with no
/// framing (Go's json.Encoder writes them back to back, newline-separated). Ends with the stream; a malformed
/// object ends it too. The reader task exits when the stream does, so it cannot outlive its connection.
/// </summary>
internal static class ResizeDecoder
{
    private const int MaxPending = 4096;

    public static ChannelReader<TerminalSize> Start(Stream source, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<TerminalSize>(new BoundedChannelOptions(8) { FullMode = BoundedChannelFullMode.DropOldest });
        _ = Task.Run(async () =>
        {
            try
            {
                var pending = new List<byte>();
                var buffer = new byte[512];
                int n;
                while ((n = await source.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    pending.AddRange(buffer.AsSpan(0, n));
                    if (pending.Count > MaxPending) break;
                    while (TryTake(pending, out var size)) channel.Writer.TryWrite(size);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or JsonException or ObjectDisposedException)
            {
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        }, CancellationToken.None);
        return channel.Reader;
    }

    /// <summary>Takes one complete object off the front of <paramref name="pending"/>, if there is one.</summary>
    internal static bool TryTake(List<byte> pending, out TerminalSize size)
    {
        size = default;
        var bytes = pending.ToArray();
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, state: default);
        if (!reader.Read()) return false;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("resize message is not an object");
        int width = 0, height = 0;
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            if (reader.TokenType != JsonTokenType.PropertyName) throw new JsonException("bad resize message");
            var name = reader.GetString();
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v))
            {
                if (string.Equals(name, "Width", StringComparison.OrdinalIgnoreCase)) width = v;
                else if (string.Equals(name, "Height", StringComparison.OrdinalIgnoreCase)) height = v;
            }
            else if (!reader.TrySkip()) return false;
        }
        pending.RemoveRange(0, (int)reader.BytesConsumed);
        size = new TerminalSize((ushort)Math.Clamp(width, 0, ushort.MaxValue), (ushort)Math.Clamp(height, 0, ushort.MaxValue));
        return true;
    }
}
