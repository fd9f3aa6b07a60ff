using System.Diagnostics;
using System.Text;

namespace CriRuntime.Linux;

/// <summary>What a short-lived helper (a CNI plugin, an OCI runtime verb) printed and how it exited.</summary>
internal sealed record ChildProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs a helper program to completion with a timeout, stdin and a controlled environment.</summary>
internal static class ChildProcess
{
    public static async Task<ChildProcessResult> RunAsync(string path, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment, string? stdin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        if (environment is not null)
        {
            info.Environment.Clear();
            foreach (var (key, value) in environment) info.Environment[key] = value;
        }
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"cannot run {path}: {e.Message}", e);
        }
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (stdin is not null) await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited without reading its input; its exit status says why.
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            if (cancellationToken.IsCancellationRequested) throw;
            throw new TimeoutException($"{Path.GetFileName(path)} did not finish within {timeout.TotalSeconds:0.#} s");
        }
        var result = new ChildProcessResult(process.ExitCode, await stdout, await stderr);
        // Process.Dispose leaves readers used synchronously to the finalizer: close the pipes now.
        process.StandardOutput.Dispose();
        process.StandardError.Dispose();
        return result;
    }

    /// <summary>A one-line form of a helper's stderr for an error message.</summary>
    public static string Summarize(string text)
    {
        var sb = new StringBuilder(text.Trim());
        sb.Replace('\n', ' ');
        return sb.Length > 2000 ? sb.ToString(0, 2000) + "..." : sb.ToString();
    }
}
