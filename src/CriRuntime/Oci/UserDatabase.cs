namespace CriRuntime.Oci;

internal sealed record PasswdEntry(string Name, uint Uid, uint Gid, string Home);

internal sealed record GroupEntry(string Name, uint Gid, IReadOnlyList<string> Members);

/// <summary>
/// An image's /etc/passwd and /etc/group, parsed from text (the caller reads them from the rootfs safely). Lines
/// that do not parse are skipped, as libc and runc's user package do; the first entry of a name or id wins.
/// </summary>
internal sealed class UserDatabase
{
    public static readonly UserDatabase Empty = new([], []);

    private UserDatabase(IReadOnlyList<PasswdEntry> users, IReadOnlyList<GroupEntry> groups)
    {
        Users = users;
        Groups = groups;
    }

    public IReadOnlyList<PasswdEntry> Users { get; }
    public IReadOnlyList<GroupEntry> Groups { get; }

    public static UserDatabase Parse(string? passwd, string? group) => new(ParsePasswd(passwd), ParseGroup(group));

    public PasswdEntry? UserByName(string name) => Users.FirstOrDefault(u => u.Name == name);

    public PasswdEntry? UserById(uint uid) => Users.FirstOrDefault(u => u.Uid == uid);

    public GroupEntry? GroupByName(string name) => Groups.FirstOrDefault(g => g.Name == name);

    private static List<PasswdEntry> ParsePasswd(string? text)
    {
        var result = new List<PasswdEntry>();
        foreach (var fields in Lines(text))
        {
            // name:password:uid:gid:gecos:home:shell
            if (fields.Length < 4 || fields[0].Length == 0) continue;
            if (!uint.TryParse(fields[2], out var uid) || !uint.TryParse(fields[3], out var gid)) continue;
            result.Add(new PasswdEntry(fields[0], uid, gid, fields.Length > 5 ? fields[5] : ""));
        }
        return result;
    }

    private static List<GroupEntry> ParseGroup(string? text)
    {
        var result = new List<GroupEntry>();
        foreach (var fields in Lines(text))
        {
            // name:password:gid:member,member
            if (fields.Length < 3 || fields[0].Length == 0 || !uint.TryParse(fields[2], out var gid)) continue;
            var members = fields.Length > 3
                ? fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [];
            result.Add(new GroupEntry(fields[0], gid, members));
        }
        return result;
    }

    private static IEnumerable<string[]> Lines(string? text)
    {
        if (text is null) yield break;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            yield return line.Split(':');
        }
    }
}
