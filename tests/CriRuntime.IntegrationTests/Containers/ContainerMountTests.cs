using System.Text.Json;
using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Harness;
using Grpc.Core;
using Xunit;
using Xunit.Abstractions;

namespace CriRuntime.IntegrationTests.Containers;

/// <summary>The host side of CRI bind mounts (HostMountPaths): created and resolved paths, propagation checks.</summary>
public class ContainerMountTests(ITestOutputHelper output, ContainerImages images) : ContainerTestBase(output, images)
{
    private readonly string _hostDir = Directory.CreateTempSubdirectory("crt-hostmount-").FullName;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        HostCommand.Run("umount", "-R", _hostDir);
        Directory.Delete(_hostDir, recursive: true);
    }

    [Fact]
    public async Task HostPath_Missing_CreatedAsDirectory0755()
    {
        var pod = await RunPodAsync("mkdir");
        var missing = Path.Combine(_hostDir, "not", "yet");
        var config = BusyboxConfig("mkdir", "sh", "-c", "echo hi > /data/file && echo written");
        config.Mounts.Add(new Mount { HostPath = missing, ContainerPath = "/data" });
        var (status, text) = await RunToExitAsync(pod, config);
        Assert.Equal((0, "written\n"), (status.ExitCode, text));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(missing));
        Assert.Equal("hi\n", await File.ReadAllTextAsync(Path.Combine(missing, "file")));
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task HostPath_Symlink_ResolvedOnTheHostAtCreate()
    {
        var pod = await RunPodAsync("symlink");
        var real = Directory.CreateDirectory(Path.Combine(_hostDir, "real")).FullName;
        var decoy = Directory.CreateDirectory(Path.Combine(_hostDir, "decoy")).FullName;
        await File.WriteAllTextAsync(Path.Combine(real, "marker"), "real\n");
        await File.WriteAllTextAsync(Path.Combine(decoy, "marker"), "decoy\n");
        var link = Path.Combine(_hostDir, "link");
        File.CreateSymbolicLink(link, "real");
        var config = BusyboxConfig("symlink", "cat", "/data/marker");
        config.Mounts.Add(new Mount { HostPath = link, ContainerPath = "/data" });
        var id = await CreateAsync(pod, config);
        // The link changes between create and start: the container binds what it named at create.
        File.Delete(link);
        File.CreateSymbolicLink(link, "decoy");
        await Daemon.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id });
        var status = await WaitExitedAsync(id);
        Assert.Equal("real\n", LogText(await File.ReadAllTextAsync(status.LogPath)));
        // The runtime was handed the real path; the status keeps the mount as kubelet sent it (as containerd does).
        var verbose = await Daemon.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id, Verbose = true });
        using var info = JsonDocument.Parse(verbose.Info["info"]);
        var bound = info.RootElement.GetProperty("runtimeSpec").GetProperty("mounts").EnumerateArray().Single(m => m.GetProperty("destination").GetString() == "/data");
        Assert.Equal(real, bound.GetProperty("source").GetString());
        Assert.Equal(link, Assert.Single(status.Mounts).HostPath);
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task Propagation_HostPathOnPrivateMount_FailedPreconditionAndNothingLeft()
    {
        // / is a private mount here (no systemd to make it shared): kubelet gets the reason instead of a mount
        // that silently does not propagate.
        var pod = await RunPodAsync("private");
        var before = LeakCheck.Take(Daemon, cgroupParent: CgroupParent);
        foreach (var (mode, needs) in new[] { (MountPropagation.PropagationHostToContainer, "shared or slave"), (MountPropagation.PropagationBidirectional, "not a shared mount") })
        {
            var config = BusyboxConfig("private-" + (int)mode, "true");
            config.Mounts.Add(new Mount { HostPath = _hostDir, ContainerPath = "/data", Propagation = mode });
            var e = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, config));
            Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
            Assert.Contains(_hostDir, e.Status.Detail);
            Assert.Contains(needs, e.Status.Detail);
        }
        Assert.Empty((await Daemon.Runtime.ListContainersAsync(new ListContainersRequest())).Containers);
        LeakCheck.Take(Daemon, cgroupParent: CgroupParent).AssertSameAs(before, "daemon fds");
        await StopRemovePodAsync(pod.Id);
    }

    [Fact]
    public async Task Propagation_HostToContainerOnSharedMount_HostMountsAppearInside()
    {
        HostCommand.Check("mount", "--bind", _hostDir, _hostDir);
        HostCommand.Check("mount", "--make-shared", _hostDir);
        var pod = await RunPodAsync("rslave");
        var config = BusyboxConfig("rslave", "sh", "-c", "echo ready; while [ ! -e /data/sub/marker ]; do sleep 0.05; done; cat /data/sub/marker; grep ' /data/sub ' /proc/self/mountinfo | grep -c master:");
        config.Mounts.Add(new Mount { HostPath = _hostDir, ContainerPath = "/data", Propagation = MountPropagation.PropagationHostToContainer });
        var id = await RunAsync(pod, config);
        var logPath = (await StatusAsync(id)).LogPath;
        await WaitForLogAsync(logPath, "ready");
        // Mounted on the host after the container started: only propagation can show it inside.
        var sub = Directory.CreateDirectory(Path.Combine(_hostDir, "sub")).FullName;
        HostCommand.Check("mount", "-t", "tmpfs", "tmpfs", sub);
        await File.WriteAllTextAsync(Path.Combine(sub, "marker"), "propagated\n");
        var status = await WaitExitedAsync(id);
        Assert.Equal("ready\npropagated\n1\n", LogText(await File.ReadAllTextAsync(logPath)));
        Assert.Equal(0, status.ExitCode);
        await Daemon.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
        await StopRemovePodAsync(pod.Id);
    }
}

/// <summary>The same with runc as the pod's runtime handler.</summary>
public sealed class RuncContainerMountTests(ITestOutputHelper output, ContainerImages images) : ContainerMountTests(output, images)
{
    protected override string Handler => "runc";
}
