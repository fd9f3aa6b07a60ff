using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Oci;
using Google.Protobuf;

namespace CriRuntime.Tests.Oci;

public sealed class ContainerArgsAndEnvTests
{
    public static TheoryData<string[], string[], string[], string[], string[]> MergeCases => new()
    {
        // command, args, ENTRYPOINT, CMD -> argv
        { [], [], ["/ep"], ["cmd1"], ["/ep", "cmd1"] },
        { ["/bin/top"], [], ["/ep"], ["cmd1"], ["/bin/top"] },
        { [], ["-x"], ["/ep"], ["cmd1"], ["/ep", "-x"] },
        { ["/bin/sh"], ["-c", "true"], ["/ep"], ["cmd1"], ["/bin/sh", "-c", "true"] },
        { [], [], [], ["sh"], ["sh"] },
        { [], ["echo", "hi"], [], ["sh"], ["echo", "hi"] },
    };

    [Theory]
    [MemberData(nameof(MergeCases))]
    public void Merge_CommandArgsAndImage_FollowsDockerRule(string[] command, string[] args, string[] entrypoint, string[] cmd, string[] expected)
    {
        Assert.Equal(expected, ContainerArgs.Merge(command, args, entrypoint, cmd));
    }

    [Fact]
    public void Merge_NothingToRun_IsInvalidArgument()
    {
        Assert.Throws<InvalidArgumentException>(() => ContainerArgs.Merge([], [], null, null));
        var input = ContainerSpecTestInput.Input(image: new());
        Assert.Throws<InvalidArgumentException>(() => ContainerSpecBuilder.Build(input));
    }

    [Theory]
    [InlineData("/work", "/img", "/work")]
    [InlineData("", "/img", "/img")]
    [InlineData("", null, "/")]
    [InlineData("", "", "/")]
    public void WorkingDir_CriThenImageThenRoot(string cri, string? image, string expected)
    {
        Assert.Equal(expected, ContainerArgs.WorkingDir(cri, image));
    }

    [Fact]
    public void WorkingDir_Relative_IsInvalidArgument()
    {
        Assert.Throws<InvalidArgumentException>(() => ContainerArgs.WorkingDir("work", null));
    }

    private static KeyValue Kv(string k, string v) => new() { Key = k, Value = ByteString.CopyFromUtf8(v) };

    [Fact]
    public void Env_CriOverridesImageByNameInPlace_HostnameFirst()
    {
        var env = ContainerEnv.Build("web-0", ["PATH=/bin", "A=image", "B=image"], [Kv("A", "cri"), Kv("C", "x=y")]);

        Assert.Equal(["HOSTNAME=web-0", "PATH=/bin", "A=cri", "B=image", "C=x=y"], env);
    }

    [Fact]
    public void Env_NoPath_GetsDefaultPath_AndCriCanOverrideHostname()
    {
        var env = ContainerEnv.Build("web-0", null, [Kv("HOSTNAME", "mine")]);

        Assert.Equal(["HOSTNAME=mine", ContainerEnv.DefaultPath], env);
    }

    [Fact]
    public void Env_BadName_IsInvalidArgument()
    {
        Assert.Throws<InvalidArgumentException>(() => ContainerEnv.Build("h", null, [Kv("A=B", "x")]));
        Assert.Throws<InvalidArgumentException>(() => ContainerEnv.Build("h", null, [Kv("", "x")]));
    }
}
