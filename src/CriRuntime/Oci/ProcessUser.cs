using CriRuntime.Api.V1;
using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// The process user as containerd and CRI-O resolve it: run_as_username, else run_as_user, else the image's User
/// ("uid", "name", "uid:gid", "name:group", mixed forms too), looked up in the image's /etc/passwd and
/// /etc/group; run_as_group overrides the group. Additional gids: the primary gid, the groups of /etc/group
/// that list the user by name (not with the Strict policy), then the CRI supplemental_groups.
/// </summary>
internal static class ProcessUser
{
    /// <exception cref="InvalidArgumentException">An unknown user or group name, a group without a user, a bad id.</exception>
    public static SpecUser Resolve(LinuxContainerSecurityContext? sc, string? imageUser, UserDatabase db)
    {
        sc ??= new LinuxContainerSecurityContext();
        if (sc.RunAsGroup is not null && sc.RunAsUser is null && sc.RunAsUsername.Length == 0)
        {
            throw new InvalidArgumentException("run_as_group is set without run_as_user or run_as_username");
        }

        string? name;
        uint uid, gid;
        if (sc.RunAsUsername.Length > 0)
        {
            (name, uid, gid) = ByName(sc.RunAsUsername, db);
        }
        else if (sc.RunAsUser is not null)
        {
            uid = ToId(sc.RunAsUser.Value, "run_as_user");
            var entry = db.UserById(uid);
            (name, gid) = (entry?.Name, entry?.Gid ?? 0);
        }
        else
        {
            (name, uid, gid) = FromImage(imageUser, db);
        }
        if (sc.RunAsGroup is not null) gid = ToId(sc.RunAsGroup.Value, "run_as_group");

        var gids = new List<uint> { gid };
        if (name is not null && sc.SupplementalGroupsPolicy != SupplementalGroupsPolicy.Strict)
        {
            gids.AddRange(db.Groups.Where(g => g.Members.Contains(name)).Select(g => g.Gid));
        }
        gids.AddRange(sc.SupplementalGroups.Select(g => ToId(g, "supplemental_groups")));
        return new SpecUser(uid, gid) { AdditionalGids = [.. gids.Distinct()] };
    }

    private static (string? Name, uint Uid, uint Gid) FromImage(string? imageUser, UserDatabase db)
    {
        if (string.IsNullOrEmpty(imageUser)) return (db.UserById(0)?.Name, 0, db.UserById(0)?.Gid ?? 0);
        var colon = imageUser.IndexOf(':');
        var userPart = colon < 0 ? imageUser : imageUser[..colon];
        var groupPart = colon < 0 ? null : imageUser[(colon + 1)..];

        string? name;
        uint uid, gid;
        if (uint.TryParse(userPart, out uid))
        {
            var entry = db.UserById(uid);
            (name, gid) = (entry?.Name, entry?.Gid ?? 0);
        }
        else
        {
            (name, uid, gid) = ByName(userPart, db);
        }
        if (groupPart is not null)
        {
            gid = uint.TryParse(groupPart, out var g) ? g
                : db.GroupByName(groupPart)?.Gid
                  ?? throw new InvalidArgumentException($"image user \"{imageUser}\": no group \"{groupPart}\" in the image's /etc/group");
        }
        return (name, uid, gid);
    }

    private static (string Name, uint Uid, uint Gid) ByName(string name, UserDatabase db)
    {
        var entry = db.UserByName(name)
            ?? throw new InvalidArgumentException($"user \"{name}\" is not in the image's /etc/passwd");
        return (entry.Name, entry.Uid, entry.Gid);
    }

    private static uint ToId(long value, string field) => value is >= 0 and <= uint.MaxValue
        ? (uint)value
        : throw new InvalidArgumentException($"{field} {value} is not a valid id");
}
