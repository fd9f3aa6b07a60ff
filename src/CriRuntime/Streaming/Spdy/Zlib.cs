using System.Runtime.InteropServices;

namespace CriRuntime.Streaming.Spdy;

/// <summary>
/// One direction of SPDY/3 header compression: a zlib stream that lives as long as the session, primed with the
/// SPDY dictionary, each header block ended with Z_SYNC_FLUSH. .NET's ZLibStream cannot take a preset dictionary
/// (.NET 10's ZLibCompressionOptions has level and strategy only), so this calls the system libz directly.
/// </summary>
internal sealed unsafe partial class Zlib : IDisposable
{
    private const int ZOk = 0, ZStreamEnd = 1, ZNeedDict = 2, ZBufError = -5, ZSyncFlush = 2;
    private const int ZDeflated = 8, MaxWbits = 15, DefaultMemLevel = 8, ZDefaultStrategy = 0;
    private const int StreamSize = 112; // sizeof(z_stream) on LP64

    private readonly bool _deflate;
    private readonly byte[] _dictionary;
    private ZStream* _stream;

    private Zlib(bool deflate, byte[] dictionary)
    {
        _deflate = deflate;
        _dictionary = dictionary;
        // zlib keeps a pointer back to the z_stream, so it must not move: native memory, not a managed struct.
        _stream = (ZStream*)NativeMemory.AllocZeroed(StreamSize);
    }

    public static Zlib CreateDeflater(byte[] dictionary, int level = 6)
    {
        var z = new Zlib(true, dictionary);
        Check(Native.deflateInit2_(z._stream, level, ZDeflated, MaxWbits, DefaultMemLevel, ZDefaultStrategy, Native.Version, StreamSize), "deflateInit2");
        fixed (byte* d = dictionary) Check(Native.deflateSetDictionary(z._stream, d, (uint)dictionary.Length), "deflateSetDictionary");
        return z;
    }

    public static Zlib CreateInflater(byte[] dictionary)
    {
        var z = new Zlib(false, dictionary);
        Check(Native.inflateInit_(z._stream, Native.Version, StreamSize), "inflateInit");
        return z;
    }

    /// <summary>Compresses one header block and sync-flushes, so the peer can decode it on its own.</summary>
    public byte[] Compress(ReadOnlySpan<byte> input)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        var output = new MemoryStream();
        var chunk = new byte[Math.Max(256, input.Length + 64)];
        fixed (byte* inp = input)
        fixed (byte* outp = chunk)
        {
            _stream->NextIn = inp;
            _stream->AvailIn = (uint)input.Length;
            do
            {
                _stream->NextOut = outp;
                _stream->AvailOut = (uint)chunk.Length;
                var rc = Native.deflate(_stream, ZSyncFlush);
                if (rc != ZOk && rc != ZBufError) Check(rc, "deflate");
                output.Write(chunk, 0, chunk.Length - (int)_stream->AvailOut);
            }
            while (_stream->AvailOut == 0);
        }
        return output.ToArray();
    }

    /// <summary>Decompresses one header block; the output is bounded so a small block cannot expand without limit.</summary>
    public byte[] Decompress(ReadOnlySpan<byte> input, int maxOutput)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        var output = new MemoryStream();
        var chunk = new byte[4096];
        fixed (byte* inp = input)
        fixed (byte* outp = chunk)
        {
            _stream->NextIn = inp;
            _stream->AvailIn = (uint)input.Length;
            while (true)
            {
                _stream->NextOut = outp;
                _stream->AvailOut = (uint)chunk.Length;
                var rc = Native.inflate(_stream, ZSyncFlush);
                if (rc == ZNeedDict)
                {
                    fixed (byte* d = _dictionary) Check(Native.inflateSetDictionary(_stream, d, (uint)_dictionary.Length), "inflateSetDictionary");
                    continue;
                }
                if (rc != ZOk && rc != ZBufError && rc != ZStreamEnd) Check(rc, "inflate");
                output.Write(chunk, 0, chunk.Length - (int)_stream->AvailOut);
                if (output.Length > maxOutput) throw new SpdyProtocolException($"header block larger than {maxOutput} bytes");
                if (_stream->AvailIn == 0 && _stream->AvailOut != 0) break;
                if (rc == ZBufError || rc == ZStreamEnd) break;
            }
        }
        return output.ToArray();
    }

    public void Dispose()
    {
        if (_stream is null) return;
        if (_deflate) Native.deflateEnd(_stream); else Native.inflateEnd(_stream);
        NativeMemory.Free(_stream);
        _stream = null;
    }

    private static void Check(int rc, string operation)
    {
        if (rc != ZOk) throw new SpdyProtocolException($"zlib {operation} failed ({rc})");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ZStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public nuint TotalIn;
        public byte* NextOut;
        public uint AvailOut;
        public nuint TotalOut;
        public nint Msg, State, ZAlloc, ZFree, Opaque;
        public int DataType;
        public nuint Adler, Reserved;
    }

    private static partial class Native
    {
        private const string Lib = "libz.so.1";

        // zlib checks only the first character of the version string against its own major version.
        internal static readonly byte* Version = (byte*)Marshal.StringToHGlobalAnsi("1.2.13");

        [LibraryImport(Lib)] internal static partial int deflateInit2_(ZStream* strm, int level, int method, int windowBits, int memLevel, int strategy, byte* version, int streamSize);
        [LibraryImport(Lib)] internal static partial int deflateSetDictionary(ZStream* strm, byte* dictionary, uint length);
        [LibraryImport(Lib)] internal static partial int deflate(ZStream* strm, int flush);
        [LibraryImport(Lib)] internal static partial int deflateEnd(ZStream* strm);
        [LibraryImport(Lib)] internal static partial int inflateInit_(ZStream* strm, byte* version, int streamSize);
        [LibraryImport(Lib)] internal static partial int inflateSetDictionary(ZStream* strm, byte* dictionary, uint length);
        [LibraryImport(Lib)] internal static partial int inflate(ZStream* strm, int flush);
        [LibraryImport(Lib)] internal static partial int inflateEnd(ZStream* strm);
    }
}
