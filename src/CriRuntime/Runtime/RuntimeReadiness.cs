using CriRuntime.Configuration;

namespace CriRuntime.Runtime;

/// <summary>Whether this node can run containers now: state directories writable, monitor, default OCI runtime and pause binary present.</summary>
internal sealed class RuntimeReadiness(DaemonOptions options)
{
    public (bool Ready, string Reason, string Message) Check()
    {
        foreach (var dir in new[] { options.Root, options.RunRoot })
        {
            if (!IsWritableDirectory(dir))
            {
                return (false, "StateDirNotWritable", $"state directory {dir} is not a writable directory");
            }
        }
        var handler = options.Runtime.Handlers[options.Runtime.DefaultHandler];
        if (!IsExecutable(handler.Path))
        {
            return (false, "RuntimeNotFound",
                $"OCI runtime '{options.Runtime.DefaultHandler}' not found at {handler.Path}");
        }
        if (!IsExecutable(options.Runtime.ConmonPath))
        {
            return (false, "MonitorNotFound", $"conmon not found at {options.Runtime.ConmonPath}");
        }
        // Without a pause image every pod runs this binary: without it no pod can start.
        if (options.Runtime.PauseImage.Length == 0 && !IsExecutable(options.Runtime.PauseBinary))
        {
            return (false, "PauseNotFound", $"pause binary (runtime.pause_binary) not found at {options.Runtime.PauseBinary}");
        }
        return (true, "", "");
    }

    private static bool IsWritableDirectory(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".write-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
