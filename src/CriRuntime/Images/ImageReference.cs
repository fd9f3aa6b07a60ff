using System.Text.RegularExpressions;
using CriRuntime.Errors;

namespace CriRuntime.Images;

/// <summary>
/// A normalised image reference: registry host, repository, and a tag and/or digest, parsed with the grammar of
/// github.com/distribution/reference (what docker, containerd and CRI-O accept). <c>busybox</c> becomes
/// <c>docker.io/library/busybox:latest</c>.
/// </summary>
internal sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";
    private const int MaxNameLength = 255;

    /// <summary>registry/repository, as containerd names images in repo_tags and repo_digests.</summary>
    public string Name => Registry + "/" + Repository;

    /// <summary>The reference used for the manifest request: the digest if there is one, else the tag.</summary>
    public string ManifestReference => Digest ?? Tag ?? "latest";

    /// <summary>name:tag, or null for a digest-only reference.</summary>
    public string? TaggedName => Tag is null ? null : Name + ":" + Tag;

    public override string ToString() => Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    public static bool TryParse(string text, string defaultRegistry, out ImageReference? reference, out string? error)
    {
        reference = null;
        error = Validate(text, defaultRegistry, out var result);
        reference = result;
        return error is null;
    }

    public static ImageReference Parse(string text, string defaultRegistry = DockerHub) =>
        TryParse(text, defaultRegistry, out var reference, out var error)
            ? reference!
            : throw new InvalidArgumentException($"invalid image reference \"{text}\": {error}");

    private static string? Validate(string text, string defaultRegistry, out ImageReference? reference)
    {
        reference = null;
        if (text.Length == 0) return "empty reference";
        if (AnchoredIdentifier().IsMatch(text)) return "cannot specify 64-byte hexadecimal strings";

        var match = ReferenceGrammar().Match(text);
        if (!match.Success)
        {
            return ReferenceGrammar().IsMatch(text.ToLowerInvariant()) ? "repository name must be lowercase" : "invalid reference format";
        }
        var name = match.Groups["name"].Value;
        if (name.Length > MaxNameLength) return $"repository name must not be more than {MaxNameLength} characters";

        var tag = match.Groups["tag"].Success ? match.Groups["tag"].Value : null;
        var digest = match.Groups["digest"].Success ? match.Groups["digest"].Value : null;
        if (digest is not null && digest.StartsWith("sha256:", StringComparison.Ordinal) && !Sha256Hex().IsMatch(digest[7..]))
        {
            return "invalid checksum digest length or format";
        }

        var (registry, repository) = SplitRegistry(name, defaultRegistry);
        if (registry == DockerHub && !repository.Contains('/')) repository = "library/" + repository;
        if ((registry + "/" + repository).Length > MaxNameLength)
        {
            return $"repository name must not be more than {MaxNameLength} characters";
        }
        if (tag is null && digest is null) tag = "latest";
        reference = new ImageReference(registry, repository, tag, digest);
        return null;
    }

    // As distribution/reference splitDockerDomain: the first component is a registry host only if it looks like one.
    private static (string Registry, string Repository) SplitRegistry(string name, string defaultRegistry)
    {
        var slash = name.IndexOf('/');
        if (slash < 0) return (defaultRegistry, name);
        var first = name[..slash];
        if (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper))
        {
            return (first == "index.docker.io" ? DockerHub : first, name[(slash + 1)..]);
        }
        return (defaultRegistry, name);
    }

    // reference := name [ ":" tag ] [ "@" digest ]; domain components may hold upper case, path components not.
    [GeneratedRegex(@"^(?<name>(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex ReferenceGrammar();

    [GeneratedRegex("^[a-f0-9]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex AnchoredIdentifier();

    [GeneratedRegex("^[a-f0-9]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Hex();
}
