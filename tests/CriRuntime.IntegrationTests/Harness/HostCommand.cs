using System.Diagnostics;

namespace CriRuntime.IntegrationTests.Harness;

/// <summary>Runs a host tool (ip, iptables-save, nsenter, busybox) and returns its exit code and output.</summary>
public static class HostCommand
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    /// <summary>Runs and throws with the output unless the exit code is 0.</summary>
    public static string Check(string file, params string[] args)
    {
        var (code, stdout, stderr) = Run(file, args);
        return code == 0 ? stdout : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {stderr}{stdout}");
    }

    /// <summary>Starts a long-running tool (a server inside a pod's netns); the caller kills it.</summary>
    public static Process Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }
}
