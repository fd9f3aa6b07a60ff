using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>What a container sees of its config: argv, env, cwd, user, mounts, capabilities, seccomp, limits.</summary>
public class ContainerSpecTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    [Fact]
    public async Task Args_MergeWithImageEntrypointAndCmd_AsKubeletExpects()
    {
        await PullAsync(Images.Entrypoint);
        var pod = await RunPodAsync("args");
        async Task<string> Run(string name, string[] command, string[] args)
        {
            var config = BusyboxConfig(name);
            config.Image.Image = Images.Entrypoint;
            config.Command.Clear();
            config.Command.AddRange(command);
            config.Args.AddRange(args);
            return (await RunToExitAsync(pod, config)).Output;
        }
        Assert.Equal("ep default\n", await Run("none", [], []));
        Assert.Equal("ep a b\n", await Run("args", [], ["a", "b"]));
        Assert.Equal("cmd\n", await Run("command", ["/bin/echo", "cmd"], []));
        Assert.Equal("cmd a\n", await Run("both", ["/bin/echo", "cmd"], ["a"]));
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task EnvAndWorkingDir_ImageThenCri_CriWins()
    {
        await PullAsync(Images.Entrypoint);
        var pod = await RunPodAsync("env");
        var config = BusyboxConfig("env", "/bin/sh", "-c", "echo $FROM_IMAGE $FOO $HOSTNAME; pwd");
        config.Image.Image = Images.Entrypoint;
        config.Envs.Add(new KeyValue { Key = "FOO", Value = Google.Protobuf.ByteString.CopyFromUtf8("bar") });
        var (status, text) = await RunToExitAsync(pod, config);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal("img bar env\n/etc\n", text);

        config = BusyboxConfig("cwd", "pwd");
        config.WorkingDir = "/tmp";
        Assert.Equal("/tmp\n", (await RunToExitAsync(pod, config)).Output);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task User_ByUidNameImageAndGroups_AppliedAndReported()
    {
        await PullAsync(Images.Nobody);
        var pod = await RunPodAsync("user");
        var byUid = BusyboxConfig("uid", "id");
        byUid.Linux.SecurityContext.RunAsUser = new Int64Value { Value = 65534 };
        byUid.Linux.SecurityContext.SupplementalGroups.Add(4000);
        var (status, text) = await RunToExitAsync(pod, byUid);
        Assert.StartsWith("uid=65534(nobody) gid=65534(nobody) groups=", text);
        // 50 (staff) from the image's /etc/group, which lists nobody as a member; 4000 from the pod.
        Assert.Equal(["4000", "50(staff)", "65534(nobody)"], text.Trim().Split("groups=")[1].Split(',').Order());
        Assert.Equal(65534, status.User.Linux.Uid);
        Assert.Contains(4000, status.User.Linux.SupplementalGroups);

        var byName = BusyboxConfig("name", "id");
        byName.Linux.SecurityContext.RunAsUsername = "nobody";
        Assert.Equal("uid=65534(nobody) gid=65534(nobody) groups=50(staff),65534(nobody)\n", (await RunToExitAsync(pod, byName)).Output);

        var fromImage = BusyboxConfig("image", "id", "-un");
        fromImage.Image.Image = Images.Nobody;
        Assert.Equal("nobody\n", (await RunToExitAsync(pod, fromImage)).Output);

        var group = BusyboxConfig("group", "id", "-g");
        group.Linux.SecurityContext.RunAsUser = new Int64Value { Value = 0 };
        group.Linux.SecurityContext.RunAsGroup = new Int64Value { Value = 3000 };
        Assert.Equal("3000\n", (await RunToExitAsync(pod, group)).Output);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task ReadonlyRootfsAndBindMounts_WritesGoWhereAllowed()
    {
        var pod = await RunPodAsync("mounts");
        var hostDir = Directory.CreateTempSubdirectory("crt-bind-").FullName;
        try
        {
            var config = BusyboxConfig("ro", "sh", "-c", "touch /root/x && echo rootfs-writable; echo hi > /rw/from-container && echo rw-ok; touch /ro/x && echo ro-writable; true");
            config.Linux.SecurityContext.ReadonlyRootfs = true;
            config.Mounts.Add(new Mount { HostPath = hostDir, ContainerPath = "/rw" });
            config.Mounts.Add(new Mount { HostPath = hostDir, ContainerPath = "/ro", Readonly = true });
            var (_, text) = await RunToExitAsync(pod, config);
            Assert.DoesNotContain("rootfs-writable", text);
            Assert.Contains("Read-only file system", text);
            Assert.Contains("rw-ok", text);
            Assert.DoesNotContain("ro-writable", text);
            Assert.Equal("hi\n", await File.ReadAllTextAsync(Path.Combine(hostDir, "from-container")));

            var writable = BusyboxConfig("rw", "sh", "-c", "touch /root/x && echo rootfs-writable");
            Assert.Equal("rootfs-writable\n", (await RunToExitAsync(pod, writable)).Output);
        }
        finally
        {
            Directory.Delete(hostDir, recursive: true);
        }
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task RecursiveReadOnlyMount_SubmountsAreReadOnlyToo()
    {
        var pod = await RunPodAsync("rro");
        var hostDir = Directory.CreateTempSubdirectory("crt-rro-").FullName;
        Directory.CreateDirectory(Path.Combine(hostDir, "sub"));
        HostCommand.Check("mount", "-t", "tmpfs", "tmpfs", Path.Combine(hostDir, "sub"));
        try
        {
            var config = BusyboxConfig("rro", "sh", "-c", "touch /data/x 2>/dev/null && echo top-writable; touch /data/sub/x 2>/dev/null && echo sub-writable; echo done");
            config.Mounts.Add(new Mount { HostPath = hostDir, ContainerPath = "/data", Readonly = true, RecursiveReadOnly = true });
            Assert.Equal("done\n", (await RunToExitAsync(pod, config)).Output);
            Assert.False(File.Exists(Path.Combine(hostDir, "sub", "x")));
        }
        finally
        {
            HostCommand.Run("umount", [Path.Combine(hostDir, "sub")]);
            Directory.Delete(hostDir, recursive: true);
        }
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task Capabilities_DefaultSetOrHostBoundingSetWhenPrivileged()
    {
        var pod = await RunPodAsync("caps", c => c.Linux.SecurityContext.Privileged = true);
        var plain = BusyboxConfig("plain", "grep", "CapEff", "/proc/self/status");
        Assert.Equal("CapEff:\t00000000000005fb\n", (await RunToExitAsync(pod, plain)).Output);

        var privileged = BusyboxConfig("privileged", "grep", "CapEff", "/proc/self/status");
        privileged.Linux.SecurityContext.Privileged = true;
        var hostBounding = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("CapBnd:", StringComparison.Ordinal)).Split('\t')[1];
        Assert.Equal($"CapEff:\t{hostBounding}\n", (await RunToExitAsync(pod, privileged)).Output);

        var added = BusyboxConfig("added", "grep", "CapEff", "/proc/self/status");
        added.Linux.SecurityContext.Capabilities = new Capability { AddCapabilities = { "NET_ADMIN" }, DropCapabilities = { "KILL" } };
        Assert.Equal("CapEff:\t00000000000015db\n", (await RunToExitAsync(pod, added)).Output);
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task SeccompRuntimeDefault_BlocksUnshare_UnconfinedAllowsIt()
    {
        var pod = await RunPodAsync("seccomp");
        var confined = BusyboxConfig("confined", "sh", "-c", "unshare -U true 2>/dev/null && echo allowed || echo refused");
        confined.Linux.SecurityContext.Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault };
        Assert.Equal("refused\n", LastLine((await RunToExitAsync(pod, confined)).Output));

        // The control differs only in the profile: creating a user namespace needs no capability, so with the
        // default capabilities (no SYS_ADMIN) only the filter can refuse it.
        var unconfined = BusyboxConfig("unconfined", "sh", "-c", "unshare -U true 2>/dev/null && echo allowed || echo refused");
        unconfined.Linux.SecurityContext.Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.Unconfined };
        Assert.Equal("allowed\n", LastLine((await RunToExitAsync(pod, unconfined)).Output));
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task MemoryLimit_HogIsKilled_ReasonOOMKilled()
    {
        var pod = await RunPodAsync("oom");
        var config = BusyboxConfig("hog", "tail", "/dev/zero");
        config.Linux.Resources = new LinuxContainerResources { MemoryLimitInBytes = 16 * 1024 * 1024 };
        var (status, _) = await RunToExitAsync(pod, config);
        Assert.Equal("OOMKilled", status.Reason);
        Assert.Equal(137, status.ExitCode);
        await StopRemovePodAsync(pod.Id);
    }

    private static string LastLine(string text) => text.TrimEnd('\n').Split('\n')[^1] + "\n";
}

/// <summary>The same tests with runc as the pod's runtime handler.</summary>
public sealed class RuncContainerSpecTests(ITestOutputHelper output, ContainerImages images) : ContainerSpecTests(output, images)
{
    protected override string Handler => "runc";
}
