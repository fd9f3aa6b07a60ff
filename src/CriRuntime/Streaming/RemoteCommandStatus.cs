using System.Text;
using System.Text.Json;

namespace CriRuntime.Streaming;

/// <summary>
/// What goes on the error stream. v4 and later: a Kubernetes metav1.Status, exactly as kubelet writes it
/// (client-go's v4 decoder reads the exit code from details.causes[reason=ExitCode].message). Earlier protocols:
/// the plain error text, nothing at all on success.
/// </summary>
internal static class RemoteCommandStatus
{
    public const string NonZeroExitCodeReason = "NonZeroExitCode";
    public const string ExitCodeCauseType = "ExitCode";

    public static byte[] ToV4Json(CommandOutcome outcome, IReadOnlyList<string>? command = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteEndObject();
            if (outcome.Error is null && outcome.ExitCode == 0)
            {
                w.WriteString("status", "Success");
            }
            else if (outcome.Error is null)
            {
                w.WriteString("status", "Failure");
                var what = command is null ? "" : $"error executing command [{string.Join(' ', command)}], ";
                w.WriteString("message", $"command terminated with non-zero exit code: {what}exit code {outcome.ExitCode}");
                w.WriteString("reason", NonZeroExitCodeReason);
                w.WriteStartObject("details");
                w.WriteStartArray("causes");
                w.WriteStartObject();
                w.WriteString("reason", ExitCodeCauseType);
                w.WriteString("message", outcome.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
            {
                // kubelet: apierrors.NewInternalError(err).Status()
                w.WriteString("status", "Failure");
                w.WriteString("message", $"Internal error occurred: {outcome.Error}");
                w.WriteString("reason", "InternalError");
                w.WriteStartObject("details");
                w.WriteStartArray("causes");
                w.WriteStartObject();
                w.WriteString("message", outcome.Error);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteNumber("code", 500);
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>v1-v3: only failures are written, as text.</summary>
    public static byte[]? ToLegacyText(CommandOutcome outcome) =>
        outcome.Error is not null ? Encoding.UTF8.GetBytes(outcome.Error)
        : outcome.ExitCode != 0 ? Encoding.UTF8.GetBytes($"command terminated with non-zero exit code: exit status {outcome.ExitCode}")
        : null;
}
