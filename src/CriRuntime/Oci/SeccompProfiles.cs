namespace CriRuntime.Oci;

/// <summary>
/// Seccomp profiles. RuntimeDefault here is a deny-list of the syscalls Docker's and containerd's default
/// profiles refuse (kernel modules, kexec, reboot, mount, namespaces, keyrings, bpf, perf, ptrace...), answered
/// with EPERM: enough for the pause process and a safe floor for containers until a full allow-list profile lands.
/// </summary>
internal static class SeccompProfiles
{
    private const uint EPERM = 1;

    private static readonly string[] Denied =
    [
        "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
        "finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms", "get_mempolicy",
        "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie",
        "mbind", "mount", "mount_setattr", "move_mount", "move_pages", "name_to_handle_at", "nfsservctl",
        "open_by_handle_at", "open_tree", "perf_event_open", "personality", "pivot_root", "process_vm_readv",
        "process_vm_writev", "ptrace", "query_module", "quotactl", "reboot", "request_key", "set_mempolicy",
        "setns", "settimeofday", "stime", "swapoff", "swapon", "sysfs", "_sysctl", "umount", "umount2",
        "unshare", "uselib", "userfaultfd", "ustat", "vm86", "vm86old",
    ];

    public static SpecSeccomp RuntimeDefault() => new("SCMP_ACT_ALLOW")
    {
        Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        Syscalls = [new SpecSyscall([.. Denied], "SCMP_ACT_ERRNO") { ErrnoRet = EPERM }],
    };
}
