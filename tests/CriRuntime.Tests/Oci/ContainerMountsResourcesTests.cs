using CriRuntime.Api.V1;
using CriRuntime.Errors;
using CriRuntime.Oci;
using CriRuntime.Storage;
using static CriRuntime.Tests.Oci.ContainerSpecTestInput;

namespace CriRuntime.Tests.Oci;

public sealed class ContainerMountsResourcesTests
{
    [Fact]
    public void Mounts_CriPropagationAndReadonly_SortedByDepth_RootfsPropagation()
    {
        var config = With(c =>
        {
            c.Mounts.Add(new Mount { ContainerPath = "/data/sub", HostPath = "/srv/sub", Propagation = MountPropagation.PropagationHostToContainer });
            c.Mounts.Add(new Mount { ContainerPath = "/data", HostPath = "/srv/data", Readonly = true });
            c.Mounts.Add(new Mount { ContainerPath = "/shared", HostPath = "/srv/shared", Propagation = MountPropagation.PropagationBidirectional });
        });

        var spec = ContainerSpecBuilder.Build(Input(config)).Spec;

        var cri = spec.Mounts.Where(m => m.Source.StartsWith("/srv/", StringComparison.Ordinal)).ToList();
        Assert.Equal(["/data", "/shared", "/data/sub"], cri.Select(m => m.Destination));
        Assert.Equal(["rbind", "rprivate", "ro"], cri[0].Options);
        Assert.Equal(["rbind", "rshared", "rw"], cri[1].Options);
        Assert.Equal(["rbind", "rslave", "rw"], cri[2].Options);
        Assert.Equal("bind", cri[0].Type);
        Assert.Equal("rshared", spec.Linux.RootfsPropagation);
    }

    [Fact]
    public void Mounts_CriMountReplacesPodFile_AndSelinuxRelabelIsAWarning()
    {
        var config = With(c => c.Mounts.Add(new Mount { ContainerPath = "/etc/hosts", HostPath = "/my/hosts", SelinuxRelabel = true }));

        var result = ContainerSpecBuilder.Build(Input(config));

        Assert.Equal("/my/hosts", result.Spec.Mounts.Single(m => m.Destination == "/etc/hosts").Source);
        Assert.Contains(result.Warnings, w => w.Contains("selinux_relabel", StringComparison.Ordinal));
        Assert.Equal("rslave", ContainerSpecBuilder.Build(Input(With(c => c.Mounts.Add(new Mount
        {
            ContainerPath = "/x",
            HostPath = "/y",
            Propagation = MountPropagation.PropagationHostToContainer,
        })))).Spec.Linux.RootfsPropagation);
    }

    [Theory]
    [InlineData("relative", "/h")]
    [InlineData("/c", "")]
    public void Mounts_BadPaths_AreInvalidArgument(string container, string host)
    {
        Assert.Throws<InvalidArgumentException>(() => ContainerSpecBuilder.Build(Input(With(c => c.Mounts.Add(new Mount { ContainerPath = container, HostPath = host })))));
    }

    [Fact]
    public void Mounts_ImageVolumeMount_IsUnimplemented()
    {
        Assert.Throws<UnimplementedException>(() => ContainerSpecBuilder.Build(Input(With(c => c.Mounts.Add(new Mount
        {
            ContainerPath = "/models",
            Image = new ImageSpec { Image = "registry.example/models:1" },
        })))));
    }

    [Fact]
    public void Mounts_ImageVolumes_AreEmptyDirsUnderTheVolumesDir_NeverImagePaths()
    {
        var image = new ImageConfig
        {
            Cmd = ["sh"],
            Volumes = new Dictionary<string, System.Text.Json.JsonElement> { ["/var/lib/data"] = default, ["/../../etc"] = default },
        };

        var result = ContainerSpecBuilder.Build(Input(image: image));

        Assert.Equal(2, result.VolumeDirs.Count);
        Assert.All(result.VolumeDirs, d => Assert.StartsWith("/var/lib/criruntime/containers/c0ffee/volumes/", d, StringComparison.Ordinal));
        Assert.All(result.VolumeDirs, d => Assert.DoesNotContain("..", d, StringComparison.Ordinal));
        Assert.Contains(result.Spec.Mounts, m => m.Destination == "/etc" && result.VolumeDirs.Contains(m.Source));
        Assert.Contains(result.Spec.Mounts, m => m.Destination == "/var/lib/data" && m.Type == "bind");
    }

    [Fact]
    public void Devices_NodesAndCgroupRules()
    {
        var dev = new HostDevice("/dev/fuse", "/dev/fuse", "c", 10, 229, 0x2000 | 0x1b6, 0, 0, "rw");

        var spec = ContainerSpecBuilder.Build(Input() with { HostDevices = [dev] }).Spec;

        var node = Assert.Single(spec.Linux.Devices!);
        Assert.Equal(("/dev/fuse", "c", 10L, 229L, 0x1b6u), (node.Path, node.Type, node.Major, node.Minor, node.FileMode!.Value));
        var rules = spec.Linux.Resources!.Devices!;
        Assert.False(rules[0].Allow);
        Assert.Equal(new SpecDeviceRule(true, "rw") { Type = "c", Major = 10, Minor = 229 }, rules[1]);
    }

    [Theory]
    [InlineData("", "rwm")]
    [InlineData("r", "r")]
    [InlineData("mr", "mr")]
    public void Devices_Permissions(string given, string expected)
    {
        Assert.Equal(expected, ContainerDevices.Permissions(new Device { HostPath = "/dev/x", Permissions = given }));
        Assert.Throws<InvalidArgumentException>(() => ContainerDevices.Permissions(new Device { HostPath = "/dev/x", Permissions = "rx" }));
    }

    [Fact]
    public void Resources_CpuMemoryHugepagesPids()
    {
        var config = With(c =>
        {
            var r = c.Linux.Resources;
            (r.CpuPeriod, r.CpuQuota, r.CpuShares, r.CpusetCpus, r.CpusetMems) = (100000, 50000, 512, "0-1", "0");
            r.MemoryLimitInBytes = 64 << 20;
            r.HugepageLimits.Add(new HugepageLimit { PageSize = "2MB", Limit = 1 << 21 });
        });

        var res = ContainerSpecBuilder.Build(Input(config) with { PidsLimit = 1024 }).Spec.Linux.Resources!;

        Assert.Equal(new SpecCpu { Period = 100000, Quota = 50000, Shares = 512, Cpus = "0-1", Mems = "0" }, res.Cpu);
        Assert.Equal(new SpecMemory { Limit = 64 << 20, Swap = 64 << 20 }, res.Memory);
        Assert.Equal(new SpecHugepageLimit("2MB", 1 << 21), Assert.Single(res.HugepageLimits!));
        Assert.Equal(1024, res.Pids!.Limit);
        Assert.Null(res.Unified);
    }

    [Fact]
    public void Resources_ZeroIsUnset_SwapExplicit_UnifiedNeedsV2()
    {
        var empty = ContainerSpecBuilder.Build(Input()).Spec.Linux.Resources!;
        Assert.Null(empty.Cpu);
        Assert.Null(empty.Memory);

        var swap = With(c => (c.Linux.Resources.MemoryLimitInBytes, c.Linux.Resources.MemorySwapLimitInBytes) = (100, 200));
        Assert.Equal(200, ContainerSpecBuilder.Build(Input(swap)).Spec.Linux.Resources!.Memory!.Swap);

        var unified = With(c => c.Linux.Resources.Unified["memory.high"] = "1000000");
        Assert.Throws<InvalidArgumentException>(() => ContainerSpecBuilder.Build(Input(unified)));
        Assert.Equal("1000000", ContainerSpecBuilder.Build(Input(unified) with { CgroupV2 = true }).Spec.Linux.Resources!.Unified!["memory.high"]);
    }

    [Fact]
    public void Resources_NoSwapAccountingOrHugetlb_LeavesThemOut()
    {
        var config = With(c =>
        {
            c.Linux.Resources.MemoryLimitInBytes = 100;
            c.Linux.Resources.HugepageLimits.Add(new HugepageLimit { PageSize = "2MB", Limit = 1 << 21 });
        });

        var result = ContainerSpecBuilder.Build(Input(config) with { SwapAvailable = false, HugetlbAvailable = false });

        Assert.Equal(new SpecMemory { Limit = 100 }, result.Spec.Linux.Resources!.Memory);
        Assert.Null(result.Spec.Linux.Resources.HugepageLimits);
        Assert.Contains(result.Warnings, w => w.Contains("hugetlb", StringComparison.Ordinal));
    }

    [Fact]
    public void Mounts_CriParentOfPodFile_IsMountedFirst_AndCriDevDropsDefaultsUnderDev()
    {
        var config = With(c =>
        {
            c.Mounts.Add(new Mount { ContainerPath = "/etc", HostPath = "/srv/etc" });
            c.Mounts.Add(new Mount { ContainerPath = "/dev", HostPath = "/srv/dev" });
        });

        var mounts = ContainerSpecBuilder.Build(Input(config)).Spec.Mounts.Select(m => m.Destination).ToList();

        Assert.True(mounts.IndexOf("/etc") < mounts.IndexOf("/etc/hosts"));
        Assert.DoesNotContain("/dev/pts", mounts);
        Assert.DoesNotContain("/dev/mqueue", mounts);
        Assert.Contains("/dev/shm", mounts);
        Assert.Equal(["/proc", "/sys", "/sys/fs/cgroup"], mounts.Take(3));
    }
}
