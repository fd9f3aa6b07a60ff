using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Oci;

namespace CriRuntime.Tests.Oci;

public sealed class ContainerUserTests
{
    private static readonly UserDatabase Db = UserDatabase.Parse(ContainerSpecTestInput.Passwd, ContainerSpecTestInput.Group);

    [Theory]
    [InlineData(null, 0u, 0u, new uint[] { 0, 10 })]
    [InlineData("", 0u, 0u, new uint[] { 0, 10 })]
    [InlineData("1000", 1000u, 1001u, new uint[] { 1001, 10, 29 })]
    [InlineData("app", 1000u, 1001u, new uint[] { 1001, 10, 29 })]
    [InlineData("1000:29", 1000u, 29u, new uint[] { 29, 10 })]
    [InlineData("app:wheel", 1000u, 10u, new uint[] { 10, 29 })]
    [InlineData("nobody:1234", 65534u, 1234u, new uint[] { 1234 })]
    [InlineData("4321", 4321u, 0u, new uint[] { 0 })]
    [InlineData("4321:4321", 4321u, 4321u, new uint[] { 4321 })]
    public void Resolve_ImageUserForms(string? imageUser, uint uid, uint gid, uint[] gids)
    {
        var user = ProcessUser.Resolve(null, imageUser, Db);

        Assert.Equal(uid, user.Uid);
        Assert.Equal(gid, user.Gid);
        Assert.Equal(gids, user.AdditionalGids);
    }

    [Theory]
    [InlineData("ghost")]
    [InlineData("app:ghosts")]
    [InlineData("ghost:0")]
    public void Resolve_UnknownNameOrGroup_IsInvalidArgument(string imageUser)
    {
        var e = Assert.Throws<InvalidArgumentException>(() => ProcessUser.Resolve(null, imageUser, Db));
        Assert.Contains("ghost", e.Message);
    }

    [Fact]
    public void Resolve_RunAsUser_OverridesImage_GidFromPasswd_PlusSupplementalGroups()
    {
        var sc = new LinuxContainerSecurityContext { RunAsUser = new Int64Value { Value = 1000 }, SupplementalGroups = { 5000, 10 } };

        var user = ProcessUser.Resolve(sc, "nobody", Db);

        Assert.Equal(1000u, user.Uid);
        Assert.Equal(1001u, user.Gid);
        Assert.Equal([1001u, 10, 29, 5000], user.AdditionalGids);
    }

    [Fact]
    public void Resolve_RunAsUsernameAndGroup()
    {
        var sc = new LinuxContainerSecurityContext { RunAsUsername = "app", RunAsGroup = new Int64Value { Value = 7 } };

        var user = ProcessUser.Resolve(sc, null, Db);

        Assert.Equal((1000u, 7u), (user.Uid, user.Gid));
        Assert.Equal([7u, 10, 29], user.AdditionalGids);
    }

    [Fact]
    public void Resolve_StrictPolicy_IgnoresEtcGroupMembership()
    {
        var sc = new LinuxContainerSecurityContext
        {
            RunAsUsername = "app",
            SupplementalGroups = { 5000 },
            SupplementalGroupsPolicy = SupplementalGroupsPolicy.Strict,
        };

        Assert.Equal([1001u, 5000], ProcessUser.Resolve(sc, null, Db).AdditionalGids);
    }

    [Fact]
    public void Resolve_Errors()
    {
        Assert.Throws<InvalidArgumentException>(() => ProcessUser.Resolve(new() { RunAsUsername = "ghost" }, null, Db));
        Assert.Throws<InvalidArgumentException>(() => ProcessUser.Resolve(new() { RunAsGroup = new Int64Value { Value = 1 } }, null, Db));
        Assert.Throws<InvalidArgumentException>(() => ProcessUser.Resolve(new() { RunAsUser = new Int64Value { Value = -1 } }, null, Db));
    }

    [Fact]
    public void Resolve_NoPasswdFile_NumericWorks_NameFails()
    {
        Assert.Equal(0u, ProcessUser.Resolve(null, null, UserDatabase.Empty).Uid);
        Assert.Equal(33u, ProcessUser.Resolve(null, "33", UserDatabase.Empty).Uid);
        Assert.Throws<InvalidArgumentException>(() => ProcessUser.Resolve(null, "www-data", UserDatabase.Empty));
    }
}
