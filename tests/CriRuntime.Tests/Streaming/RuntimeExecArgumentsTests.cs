using CriRuntime.Configuration;
using CriRuntime.Streaming;

namespace CriRuntime.Tests.Streaming;

public sealed class RuntimeExecArgumentsTests
{
    private static readonly ContainerTarget Target = new("abc", new RuntimeHandlerOptions("/usr/sbin/runc", "/run/r"), "{}");

    [Fact]
    public void Arguments_ConsoleSocket_TtyThenSocketBeforeId()
    {
        var args = RuntimeExecProcess.Arguments("/w", Target, tty: true, consoleSocket: "/w/console.sock");
        Assert.Equal(["--root", "/run/r", "--log", "/w/log.json", "--log-format", "json", "exec", "--process", "/w/process.json",
            "--pid-file", "/w/pid", "--tty", "--console-socket", "/w/console.sock", "abc"], args);
    }

    [Fact]
    public void Arguments_HostConsole_TtyWithoutSocket()
    {
        var args = RuntimeExecProcess.Arguments("/w", Target, tty: true, consoleSocket: null);
        Assert.Equal(["--tty", "abc"], args[^2..]);
        Assert.DoesNotContain("--console-socket", args);
    }

    [Theory]
    [InlineData("/usr/sbin/runc", true)]
    [InlineData("/usr/local/bin/runc.amd64", true)]
    [InlineData("/usr/local/bin/criruntime-launch", false)]
    public void IsNeededFor_ByBinaryName(string path, bool needed) => Assert.Equal(needed, HostConsoleExec.IsNeededFor(path));

    [Fact]
    public void ProcessJson_ArgsAndTerminalReplaced_ConsoleSizeDropped()
    {
        var json = RuntimeExecProcess.ProcessJson("""{"args":["sleep"],"env":["A=1"],"terminal":false,"consoleSize":{"height":1,"width":2}}""", ["sh", "-c", "x"], tty: true);
        Assert.Equal("""{"args":["sh","-c","x"],"env":["A=1"],"terminal":true}""", json);
    }
}
