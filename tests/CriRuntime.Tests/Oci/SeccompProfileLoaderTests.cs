using CriRuntime.Errors;
using CriRuntime.Oci;

namespace CriRuntime.Tests.Oci;

public sealed class SeccompProfileLoaderTests
{
    [Fact]
    public void Parse_DockerFormat_ArchMapNamesArgsErrno()
    {
        const string json = """
            {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
             "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]},{"architecture":"SCMP_ARCH_AARCH64"}],
             "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
                         {"name":"socket","action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":40,"op":"SCMP_CMP_NE"}]},
                         {"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}
            """;

        var p = SeccompProfileLoader.Parse(json, "t.json");

        Assert.Equal("SCMP_ACT_ERRNO", p.DefaultAction);
        Assert.Equal(1u, p.DefaultErrnoRet);
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], p.Architectures);
        Assert.Equal(["read", "write"], p.Syscalls[0].Names);
        Assert.Equal(new SpecSyscallArg(0, 40, "SCMP_CMP_NE"), Assert.Single(p.Syscalls[1].Args!));
        Assert.Equal(13u, p.Syscalls[2].ErrnoRet);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("""{"defaultAction":"SCMP_ACT_BOGUS"}""")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"ALLOW"}]}""")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"LT"}]}]}""")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ALLOW"}]}""")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"value":1,"op":"SCMP_CMP_EQ"}]}]}""")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[1],"action":"SCMP_ACT_ALLOW"}]}""")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":-1}""")]
    public void Parse_Invalid_IsInvalidArgument(string json)
    {
        var e = Assert.Throws<InvalidArgumentException>(() => SeccompProfileLoader.Parse(json, "bad.json"));
        Assert.Contains("bad.json", e.Message);
    }

    [Fact]
    public void Load_MissingFileOrRelativePath_IsInvalidArgument()
    {
        Assert.Throws<InvalidArgumentException>(() => SeccompProfileLoader.Load("/nonexistent/profile.json"));
        Assert.Throws<InvalidArgumentException>(() => SeccompProfileLoader.Load("profile.json"));
    }

    [Fact]
    public void RuntimeDefault_ForThePause_HasNoCapabilityRules()
    {
        var p = SeccompProfiles.RuntimeDefault();

        Assert.DoesNotContain(p.Syscalls, s => s.Action == "SCMP_ACT_ALLOW" && s.Names.Contains("mount"));
        Assert.Contains(p.Syscalls, s => s.Names.Contains("personality") && s.Args![0].Value == 0xffffffff);
    }
}
