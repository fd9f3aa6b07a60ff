namespace CriRuntime.Oci;

/// <summary>Seccomp profiles: the runtime default (the ecosystem's allow-list, <see cref="SeccompDefaultProfile"/>).</summary>
internal static class SeccompProfiles
{
    private const uint EPERM = 1, ENOSYS = 38;

    /// <summary>The default profile for a process without capabilities (the pause).</summary>
    public static SpecSeccomp RuntimeDefault() => RuntimeDefault([]);

    /// <summary>The default profile for a process holding <paramref name="capabilities"/> (CAP_* names).</summary>
    public static SpecSeccomp RuntimeDefault(IReadOnlyCollection<string> capabilities)
    {
        var syscalls = new List<SpecSyscall> { new([.. SeccompDefaultProfile.Allowed], "SCMP_ACT_ALLOW") };
        syscalls.Add(new(["socket"], "SCMP_ACT_ALLOW") { Args = [new(0, SeccompDefaultProfile.AfVsock, "SCMP_CMP_NE")] });
        foreach (var persona in SeccompDefaultProfile.Personalities)
        {
            syscalls.Add(new(["personality"], "SCMP_ACT_ALLOW") { Args = [new(0, persona, "SCMP_CMP_EQ")] });
        }
        foreach (var (cap, names) in SeccompDefaultProfile.ByCapability)
        {
            if (capabilities.Contains(cap)) syscalls.Add(new([.. names], "SCMP_ACT_ALLOW"));
        }
        if (!capabilities.Contains("CAP_SYS_ADMIN"))
        {
            // clone without namespace flags; clone3 answers ENOSYS so libc falls back to clone (its flags are
            // in memory seccomp cannot inspect).
            syscalls.Add(new(["clone"], "SCMP_ACT_ALLOW")
            {
                Args = [new(0, SeccompDefaultProfile.CloneNamespaceFlags, "SCMP_CMP_MASKED_EQ") { ValueTwo = 0 }],
            });
            syscalls.Add(new(["clone3"], "SCMP_ACT_ERRNO") { ErrnoRet = ENOSYS });
        }
        return new SpecSeccomp("SCMP_ACT_ERRNO")
        {
            DefaultErrnoRet = EPERM,
            Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            Syscalls = syscalls,
        };
    }
}
