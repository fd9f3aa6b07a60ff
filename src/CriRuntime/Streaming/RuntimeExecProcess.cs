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

    public static RuntimeExecProcess Start(string workRoot, ContainerTarget container, IReadOnlyList<string> command, bool tty)
    {
        var dir = CreateWorkDir(workRoot, container, command, tty);
        ConsoleSocket? console = null;
        try
        {
            var start = new ProcessStartInfo(container.Runtime.Path)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            if (tty) console = new ConsoleSocket(Path.Combine(dir, "console.sock"));
            foreach (var a in Arguments(dir, container, tty, console?.Path)) start.ArgumentList.Add(a);
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

    /// <summary>A private directory with the exec's process.json (the runtime's pid file and log go there too).</summary>
    internal static string CreateWorkDir(string workRoot, ContainerTarget container, IReadOnlyList<string> command, bool tty)
    {
        Directory.CreateDirectory(workRoot);
        var dir = Path.Combine(workRoot, Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant());
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            File.WriteAllText(Path.Combine(dir, "process.json"), ProcessJson(container.ProcessJson, command, tty));
            return dir;
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    /// <summary>argv after the runtime's path: <c>--root R --log F --log-format json exec --process P --pid-file PID [--tty [--console-socket S]] ID</c>.</summary>
    internal static List<string> Arguments(string dir, ContainerTarget container, bool tty, string? consoleSocket)
    {
        List<string> args = ["--root", container.Runtime.Root, "--log", Path.Combine(dir, "log.json"), "--log-format", "json", "exec",
            "--process", Path.Combine(dir, "process.json"), "--pid-file", Path.Combine(dir, "pid")];
        if (tty) args.Add("--tty");
        if (consoleSocket is not null) args.AddRange(["--console-socket", consoleSocket]);
        args.Add(container.Id);
        return args;
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
    public int? ExecPid => ReadExecPid(_dir);

    /// <summary>Exit status in the shell convention (128+N for signal N), as runc and our launcher report it.</summary>
    public int ExitCode => Process.ExitCode;

    /// <summary>The runtime's own error, when the exec never started (no pid file was written).</summary>
    public string? RuntimeError() => ExecPid is not null ? null : ReadRuntimeError(_dir, Process.StartInfo.FileName, Process.ExitCode);

    internal static int? ReadExecPid(string dir)
    {
        var file = Path.Combine(dir, "pid");
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    /// <summary>The last error the runtime logged (json log), else a generic message with its exit status.</summary>
    internal static string ReadRuntimeError(string dir, string runtimePath, int status)
    {
        var log = Path.Combine(dir, "log.json");
        try
        {
            var lines = File.Exists(log) ? File.ReadAllLines(log) : [];
            foreach (var line in lines.Reverse())
            {
                if (JsonNode.Parse(line) is JsonObject o && (string?)o["level"] == "error") return (string?)o["msg"] ?? "";
            }
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
        }
        return $"{Path.GetFileName(runtimePath)} exec failed with status {status}";
    }

    public void Kill()
    {
        if (ExecPid is { } pid) ProcessTree.Kill(pid);
        try
        {
            // Until the runtime has written the pid file, the exec'd process is still below the runtime (both runc
            // and our launcher wait for it as a child subreaper): a deadline that fires that early kills it there.
            // The runtime is our unreaped child, so its pid cannot have been reused.
            if (!Process.HasExited) ProcessTree.Kill(Process.Id);
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
