using CriRuntime.Linux;

namespace CriRuntime.Tests.Linux;

public sealed class FileSystemTests
{
    [Fact]
    public void Capacity_TempDirectory_MatchesDriveInfoAndHasFreeInodes()
    {
        var dir = Path.GetTempPath();

        var capacity = FileSystem.Capacity(dir);

        // DriveInfo reads the same statvfs fields for the size: a wrong struct layout would not agree with it.
        Assert.Equal((ulong)new DriveInfo(dir).TotalSize, capacity.Bytes);
        Assert.InRange(capacity.FreeInodes, 0UL, capacity.Inodes);
    }

    [Fact]
    public void Capacity_MissingPath_LinuxExceptionNamesIt()
    {
        var e = Assert.Throws<LinuxException>(() => FileSystem.Capacity("/nonexistent-" + Guid.NewGuid().ToString("N")));

        Assert.Contains("statvfs", e.Message);
        Assert.Contains("/nonexistent-", e.Message);
    }
}
