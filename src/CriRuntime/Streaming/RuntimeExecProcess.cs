using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CriRuntime.Linux;

namespace CriRuntime.Streaming;

/// <summary>
/// One <c>runtime --root R exec --process F --pid-file P [--tty --console-socket S] ID</c>, with the runtime's
/// stdio on pipes. The process object is the container's own with new args (runc semantics: --process replaces
/// it wholesale). Kill() SIGKILLs the exec'd process and whatever it started, then the runtime; Dispose removes
/// the work directory.
/// </summary>
internal sealed class RuntimeExecProcess : IDisposable
{
    private readonly string _dir;

    private RuntimeExecProcess(string dir, Process process, ConsoleSocket? console)
    {
        _dir = dir;
        Process = process;
        Console = console;
    }

    public Process Process { get; }
    public ConsoleSocket? Console { get; }
    private string PidFile => Path.Combine(_dir, "pid");
    private string LogFile => Path.Combine(_dir, "log.json");

    public static RuntimeExecProcess Start(string workRoot, ContainerTarget container, IReadOnlyList<string> command, bool tty)
    {
        Directory.CreateDirectory(workRoot);
        var dir = Path.Combine(workRoot, Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant());
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ConsoleSocket? console = null;
        try
        {
            File.WriteAllText(Path.Combine(dir, "process.json"), ProcessJson(container.ProcessJson, command, tty));
            var start = new ProcessStartInfo(container.Runtime.Path)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "--root", container.Runtime.Root, "--log", Path.Combine(dir, "log.json"), "--log-format", "json", "exec", "--process", Path.Combine(dir, "process.json"), "--pid-file", Path.Combine(dir, "pid") })
            {
                start.ArgumentList.Add(a);
            }
            if (tty)
            {
                console = new ConsoleSocket(Path.Combine(dir, "console.sock"));
                start.ArgumentList.Add("--tty");
                start.ArgumentList.Add("--console-socket");
                start.ArgumentList.Add(console.Path);
            }
            start.ArgumentList.Add(container.Id);
            var process = Process.Start(start) ?? throw new IOException($"cannot start {container.Runtime.Path}");
            return new RuntimeExecProcess(dir, process, console);
        }
        catch
        {
            console?.Dispose();
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    internal static string ProcessJson(string template, IReadOnlyList<string> command, bool tty)
    {
        var process = JsonNode.Parse(template) as JsonObject ?? throw new FormatException("the container's process is not a JSON object");
        var args = new JsonArray();
        foreach (var c in command) args.Add((JsonNode?)JsonValue.Create(c));
        process["args"] = args;
        process["terminal"] = tty;
        // The container's console size is not the exec session's; the client sends its own on the resize stream.
        process.Remove("consoleSize");
        return process.ToJsonString();
    }

    /// <summary>The exec'd process's host pid, once the runtime has written it.</summary>
    public int? ExecPid =>
        File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    /// <summary>Exit status in the shell convention (128+N for signal N), as runc and our launcher report it.</summary>
    public int ExitCode => Process.ExitCode;

    /// <summary>The runtime's own error, when the exec never started (no pid file was written).</summary>
    public string? RuntimeError()
    {
        if (ExecPid is not null) return null;
        try
        {
            var lines = File.Exists(LogFile) ? File.ReadAllLines(LogFile) : [];
            foreach (var line in lines.Reverse())
            {
                if (JsonNode.Parse(line) is JsonObject o && (string?)o["level"] == "error") return (string?)o["msg"];
            }
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
        }
        return $"{Path.GetFileName(Process.StartInfo.FileName)} exec failed with status {Process.ExitCode}";
    }

    public void Kill()
    {
        if (ExecPid is { } pid) ProcessTree.Kill(pid);
        try
        {
            Process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public void Dispose()
    {
        Console?.Dispose();
        // Process.Dispose leaves redirected streams open once they were read synchronously; close all three here.
        foreach (var stream in new Stream[] { Process.StandardInput.BaseStream, Process.StandardOutput.BaseStream, Process.StandardError.BaseStream })
        {
            try
            {
                stream.Dispose();
            }
            catch (IOException)
            {
            }
        }
        Process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
