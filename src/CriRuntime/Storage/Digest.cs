using System.Security.Cryptography;
using System.Text;
using CriRuntime.Errors;

namespace CriRuntime.Storage;

/// <summary>Content digests as the OCI image spec writes them ("sha256:" + 64 lowercase hex). Only sha256 is accepted.</summary>
internal static class Digest
{
    public const string Prefix = "sha256:";

    public static bool IsValid(string? digest) =>
        digest is { Length: 71 } && digest.StartsWith(Prefix, StringComparison.Ordinal) && digest.AsSpan(7).IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>The hex part of a digest checked to be valid, so it can safely name a file.</summary>
    public static string Hex(string digest) =>
        IsValid(digest) ? digest[7..] : throw new InvalidArgumentException($"unsupported or malformed digest \"{digest}\" (want sha256:<64 hex>)");

    public static string Of(ReadOnlySpan<byte> content) => Prefix + Convert.ToHexStringLower(SHA256.HashData(content));

    public static string FromHash(byte[] hash) => Prefix + Convert.ToHexStringLower(hash);

    /// <summary>
    /// Chain ids name a layer together with everything below it (OCI image spec, config.md):
    /// ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)).
    /// </summary>
    public static IReadOnlyList<string> ChainIds(IReadOnlyList<string> diffIds)
    {
        var result = new List<string>(diffIds.Count);
        foreach (var diffId in diffIds)
        {
            result.Add(result.Count == 0 ? diffId : Of(Encoding.ASCII.GetBytes(result[^1] + " " + diffId)));
        }
        return result;
    }
}
