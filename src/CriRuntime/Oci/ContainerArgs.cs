using CriRuntime.Errors;

namespace CriRuntime.Oci;

/// <summary>
/// The process argv from the CRI command/args and the image's Entrypoint/Cmd, with Docker's rule (moby
/// daemon/commit.go, followed by containerd and CRI-O): command replaces ENTRYPOINT and drops the image CMD; args
/// alone replace CMD and keep ENTRYPOINT.
/// </summary>
internal static class ContainerArgs
{
    /// <exception cref="InvalidArgumentException">Nothing to run.</exception>
    public static List<string> Merge(IReadOnlyList<string> command, IReadOnlyList<string> args,
        IReadOnlyList<string>? entrypoint, IReadOnlyList<string>? cmd)
    {
        var result = new List<string>();
        if (command.Count > 0)
        {
            result.AddRange(command);
            result.AddRange(args);
        }
        else
        {
            result.AddRange(entrypoint ?? []);
            result.AddRange(args.Count > 0 ? args : cmd ?? []);
        }
        if (result.Count == 0)
        {
            throw new InvalidArgumentException("no command specified: the container config has no command or args and the image no Entrypoint or Cmd");
        }
        return result;
    }

    /// <summary>CRI working_dir, else the image's WorkingDir, else "/".</summary>
    public static string WorkingDir(string criWorkingDir, string? imageWorkingDir)
    {
        var dir = criWorkingDir.Length > 0 ? criWorkingDir : string.IsNullOrEmpty(imageWorkingDir) ? "/" : imageWorkingDir;
        if (!dir.StartsWith('/'))
        {
            throw new InvalidArgumentException($"working directory \"{dir}\" is not an absolute path");
        }
        return dir;
    }
}
