using System.Reflection;
using CriRuntime.Configuration;

namespace CriRuntime.Hosting;

/// <summary>Exit codes: 0 clean stop, 1 start-up failure (e.g. socket in use), 2 bad command line or configuration.</summary>
internal static class Entrypoint
{
    public const int ExitStartFailure = 1;
    public const int ExitBadConfig = 2;

    public static string Version { get; } =
        typeof(Entrypoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    public static async Task<int> RunAsync(string[] args)
    {
        CommandLine command;
        DaemonOptions options;
        try
        {
            command = CommandLine.Parse(args);
            if (command.Verb == Verb.Help)
            {
                Console.WriteLine(CommandLine.Usage);
                return 0;
            }
            if (command.Verb == Verb.Version)
            {
                Console.WriteLine($"criruntime {Version}");
                return 0;
            }
            options = ConfigLoader.Load(command.ConfigPath, command.Flags);
        }
        catch (ConfigException e)
        {
            await Console.Error.WriteLineAsync($"criruntime: {e.Message}");
            return ExitBadConfig;
        }

        if (command.Verb == Verb.PrintConfig)
        {
            Console.Write(EffectiveConfig.ToToml(options));
            return 0;
        }
        return await DaemonHost.RunAsync(options);
    }
}
