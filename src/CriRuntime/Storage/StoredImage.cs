namespace CriRuntime.Storage;

/// <summary>An image ready to run: its record, its parsed config and its layer directories.</summary>
/// <param name="LowerDirs">Overlay lower dirs, topmost layer first, as overlayfs' lowerdir option wants them.</param>
internal sealed record StoredImage(ImageRecord Record, OciImageConfig Config, IReadOnlyList<string> LowerDirs)
{
    public string Id => Record.Id;

    /// <summary>The numeric uid or the user name from the config's User ("uid[:gid]" or "name[:group]"), as containerd reports them.</summary>
    public (long? Uid, string Username) User
    {
        get
        {
            var user = Config.Config?.User;
            if (string.IsNullOrEmpty(user)) return (null, "");
            var name = user.Split(':')[0];
            return long.TryParse(name, out var uid) ? (uid, "") : (null, name);
        }
    }
}
