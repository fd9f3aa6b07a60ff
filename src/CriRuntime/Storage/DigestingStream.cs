using System.Security.Cryptography;
using CriRuntime.Errors;

namespace CriRuntime.Storage;

/// <summary>
/// A read-only pass-through that hashes and counts what is read, optionally copying it to <paramref name="tee"/>,
/// so a blob is verified and stored in the same pass that decompresses and unpacks it. Reading past
/// <paramref name="expectedSize"/> fails at once, so a lying server cannot fill the disk.
/// </summary>
internal sealed class DigestingStream(Stream source, long expectedSize, Stream? tee, string what) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = source.Read(buffer);
        Account(buffer[..n]);
        tee?.Write(buffer[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Account(buffer.Span[..n]);
        if (tee is not null) await tee.WriteAsync(buffer[..n], cancellationToken).ConfigureAwait(false);
        return n;
    }

    /// <summary>Reads what the consumer left (tar padding, trailing gzip members) and checks size and digest.</summary>
    public async Task VerifyAsync(string expectedDigest, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        while (await ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
        {
        }
        if (expectedSize >= 0 && BytesRead != expectedSize)
        {
            throw new OperationFailedException($"{what}: size mismatch: expected {expectedSize} bytes, got {BytesRead}");
        }
        var actual = Digest.FromHash(_hash.GetHashAndReset());
        if (actual != expectedDigest)
        {
            throw new OperationFailedException($"{what}: digest mismatch: expected {expectedDigest}, got {actual}");
        }
    }

    private void Account(ReadOnlySpan<byte> data)
    {
        BytesRead += data.Length;
        if (expectedSize >= 0 && BytesRead > expectedSize)
        {
            throw new OperationFailedException($"{what}: size mismatch: more than the expected {expectedSize} bytes");
        }
        _hash.AppendData(data);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
