using System.Formats.Tar;
using System.Text;
using CriRuntime.Errors;
using CriRuntime.Linux;
using CriRuntime.Recovery;

namespace CriRuntime.Storage;

/// <summary>
/// Applies one OCI layer tar into an empty directory that becomes an overlay lower dir. TarReader parses the
/// headers (ustar, pax, gnu); every path decision is made here: an entry may never write outside the root,
/// whether through "..", an absolute name, a symlink in a parent path, or a hardlink to a file outside.
/// Whiteouts become what overlayfs understands: ".wh.x" a 0/0 character device, ".wh..wh..opq" the opaque xattr.
/// </summary>
internal static class LayerUnpacker
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueWhiteout = ".wh..wh..opq";
    private const string PaxXattrPrefix = "SCHILY.xattr.";

    public static async Task UnpackAsync(Stream tar, string root, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        var directoryTimes = new List<(string Path, DateTimeOffset Time)>();
        var tap = new PaxXattrTap(tar);
        await using var reader = new TarReader(tap, leaveOpen: true);
        for (var index = 0; await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry; index++)
        {
            var rawXattrs = tap.XattrsOf(index, entry.Name);
            await ApplyAsync(entry, rawXattrs, root, directoryTimes, cancellationToken).ConfigureAwait(false);
        }
        // Children change their directory's mtime, so directories get theirs last, deepest first.
        for (var i = directoryTimes.Count - 1; i >= 0; i--)
        {
            FileNodes.SetTimes(directoryTimes[i].Path, directoryTimes[i].Time, directoryTimes[i].Time);
        }
    }

    private static async Task ApplyAsync(TarEntry entry, IReadOnlyDictionary<string, byte[]>? rawXattrs, string root,
        List<(string, DateTimeOffset)> directoryTimes, CancellationToken cancellationToken)
    {
        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) return;
        var components = SplitPath(entry.Name);
        if (components.Count == 0) return; // "./": the layer root itself belongs to us, not to the layer.
        var parent = EnsureParents(root, components, entry.Name);
        var name = components[^1];

        if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            ApplyWhiteout(parent, name, entry.Name);
            return;
        }
        var path = Path.Combine(parent, name);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (FileNodes.LStat(path) is { IsDirectory: false }) File.Delete(path);
                if (FileNodes.LStat(path) is null) Directory.CreateDirectory(path);
                directoryTimes.Add((path, entry.ModificationTime));
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                RemoveExisting(path);
                await using (var file = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    PreallocationSize = entry.Length,
                }))
                {
                    if (entry.DataStream is { } data) await data.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                }
                Failpoint.Hit("image.pull.mid-layer");
                break;
            case TarEntryType.SymbolicLink:
                RemoveExisting(path);
                File.CreateSymbolicLink(path, entry.LinkName); // stored, never followed by the unpack
                break;
            case TarEntryType.HardLink:
                var target = ResolveHardLinkTarget(root, entry);
                RemoveExisting(path);
                FileNodes.HardLink(target, path);
                return; // a hard link shares its target's inode and metadata
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                RemoveExisting(path);
                var type = entry.EntryType switch
                {
                    TarEntryType.CharacterDevice => FileNodes.S_IFCHR,
                    TarEntryType.BlockDevice => FileNodes.S_IFBLK,
                    _ => FileNodes.S_IFIFO,
                };
                FileNodes.MakeNode(path, type | 0x180 /* 0600, then ApplyMetadata sets the real mode */, (uint)((entry as PosixTarEntry)?.DeviceMajor ?? 0), (uint)((entry as PosixTarEntry)?.DeviceMinor ?? 0));
                break;
            default:
                throw Invalid(entry.Name, $"unsupported tar entry type {entry.EntryType}");
        }
        ApplyMetadata(entry, rawXattrs, path);
    }

    /// <summary>Splits an entry name into clean components; ".." anywhere is rejected rather than resolved.</summary>
    internal static List<string> SplitPath(string name)
    {
        // Layer tars name entries relative to the root; an absolute name is a crafted archive, not a quirk.
        if (name.StartsWith('/')) throw Invalid(name, "absolute path");
        var components = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..") throw Invalid(name, "path contains \"..\"");
            if (part.Contains('\0')) throw Invalid(name, "path contains a NUL byte");
            components.Add(part);
        }
        return components;
    }

    // Walks the parents with lstat: a missing one is created, a symlink or non-directory stops the unpack, so no
    // entry is ever written through a link (the layer dir is ours and private while we unpack, so this does not race).
    private static string EnsureParents(string root, List<string> components, string entryName)
    {
        var path = root;
        for (var i = 0; i < components.Count - 1; i++)
        {
            path = Path.Combine(path, components[i]);
            switch (FileNodes.LStat(path))
            {
                case null:
                    Directory.CreateDirectory(path);
                    break;
                case { IsSymlink: true }:
                    throw Invalid(entryName, $"parent \"{string.Join('/', components.Take(i + 1))}\" is a symlink");
                case { IsDirectory: false }:
                    throw Invalid(entryName, $"parent \"{string.Join('/', components.Take(i + 1))}\" is not a directory");
            }
        }
        return path;
    }

    private static string ResolveHardLinkTarget(string root, TarEntry entry)
    {
        var components = SplitPath(entry.LinkName);
        if (components.Count == 0) throw Invalid(entry.Name, "hard link to the layer root");
        var path = root;
        foreach (var component in components.Take(components.Count - 1))
        {
            path = Path.Combine(path, component);
            if (FileNodes.LStat(path) is not { IsDirectory: true, IsSymlink: false })
            {
                throw Invalid(entry.Name, $"hard link target \"{entry.LinkName}\" is not inside the layer");
            }
        }
        path = Path.Combine(path, components[^1]);
        return FileNodes.LStat(path) switch
        {
            null => throw Invalid(entry.Name, $"hard link target \"{entry.LinkName}\" does not exist in the layer"),
            { IsDirectory: true } => throw Invalid(entry.Name, $"hard link target \"{entry.LinkName}\" is a directory"),
            _ => path,
        };
    }

    private static void ApplyWhiteout(string parent, string name, string entryName)
    {
        if (name == OpaqueWhiteout)
        {
            FileNodes.SetXattr(parent, "trusted.overlay.opaque", "y"u8);
            return;
        }
        if (name.StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal)) return; // other AUFS metadata
        var hidden = name[WhiteoutPrefix.Length..];
        if (hidden.Length == 0 || hidden is "." or "..") throw Invalid(entryName, "malformed whiteout");
        var path = Path.Combine(parent, hidden);
        RemoveExisting(path);
        FileNodes.MakeNode(path, FileNodes.S_IFCHR, 0, 0);
    }

    private static void ApplyMetadata(TarEntry entry, IReadOnlyDictionary<string, byte[]>? rawXattrs, string path)
    {
        var isSymlink = entry.EntryType == TarEntryType.SymbolicLink;
        FileNodes.LChown(path, entry.Uid, entry.Gid);
        // After chown, which clears setuid/setgid.
        if (!isSymlink) FileNodes.Chmod(path, (uint)entry.Mode);
        if (rawXattrs is not null)
        {
            foreach (var (name, value) in rawXattrs) SetXattr(path, name, value);
        }
        else if (entry is PaxTarEntry pax)
        {
            // The tap lost track of this entry: only what survived TarReader's UTF-8 decoding can be applied.
            foreach (var (key, value) in pax.ExtendedAttributes)
            {
                if (!key.StartsWith(PaxXattrPrefix, StringComparison.Ordinal) || value.Contains('\uFFFD')) continue;
                SetXattr(path, key[PaxXattrPrefix.Length..], Encoding.UTF8.GetBytes(value));
            }
        }
        if (entry.EntryType != TarEntryType.Directory) FileNodes.SetTimes(path, entry.ModificationTime, entry.ModificationTime);
    }

    private static void SetXattr(string path, string name, byte[] value)
    {
        try
        {
            FileNodes.SetXattr(path, name, value);
        }
        catch (LinuxException) when (name.StartsWith("security.", StringComparison.Ordinal))
        {
            // An LSM label we may not set here (SELinux off, no CAP_MAC_ADMIN): the layer is still usable.
        }
    }

    private static void RemoveExisting(string path)
    {
        switch (FileNodes.LStat(path))
        {
            case null:
                return;
            case { IsDirectory: true }:
                Directory.Delete(path, recursive: true);
                return;
            default:
                File.Delete(path);
                return;
        }
    }

    private static OperationFailedException Invalid(string entryName, string why) =>
        new($"invalid layer: entry \"{entryName}\": {why}");
}
