namespace CriRuntime.Bench;

/// <summary>What the figures were measured on, printed with every report.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, double MemoryGiB, string Kernel, string Os)
{
    public static MachineInfo Read()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memKb = double.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? "Linux"
            : "Linux";
        return new MachineInfo(cpu, Environment.ProcessorCount, Math.Round(memKb / 1024 / 1024, 1), File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), os);
    }

    public override string ToString() => $"{Os}, kernel {Kernel}, {Cores} cores ({Cpu}), {MemoryGiB} GiB";
}
