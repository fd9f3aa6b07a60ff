/* features: what this runtime implements, in the OCI features.md format. */
#include "verbs.h"
#include <seccomp.h>

int cmd_features(void)
{
    const struct scmp_version *v = seccomp_version();
    printf("{\n"
           "  \"ociVersionMin\": \"1.0.0\",\n"
           "  \"ociVersionMax\": \"" OCI_VERSION "\",\n"
           "  \"hooks\": [],\n"
           "  \"mountOptions\": [\"async\",\"atime\",\"bind\",\"dev\",\"diratime\",\"dirsync\",\"exec\",\"mand\","
           "\"noatime\",\"nodev\",\"nodiratime\",\"noexec\",\"nomand\",\"norelatime\",\"nostrictatime\",\"nosuid\","
           "\"private\",\"rbind\",\"relatime\",\"remount\",\"ro\",\"rprivate\",\"rro\",\"rshared\",\"rslave\","
           "\"runbindable\","
           "\"rw\",\"shared\",\"slave\",\"strictatime\",\"suid\",\"sync\",\"unbindable\"],\n"
           "  \"linux\": {\n"
           "    \"namespaces\": [\"cgroup\",\"ipc\",\"mount\",\"network\",\"pid\",\"user\",\"uts\"],\n"
           "    \"capabilities\": [");
    int last = cap_last();
    for (int c = 0; c <= last; c++)
        printf("%s\"CAP_%s\"", c ? "," : "", cap_name(c));
    printf(
        "],\n"
        "    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false, \"rdma\": false},\n"
        "    \"seccomp\": {\"enabled\": true,\n"
        "      \"actions\": [\"SCMP_ACT_ALLOW\",\"SCMP_ACT_ERRNO\",\"SCMP_ACT_KILL\",\"SCMP_ACT_KILL_PROCESS\","
        "\"SCMP_ACT_KILL_THREAD\",\"SCMP_ACT_LOG\",\"SCMP_ACT_TRACE\",\"SCMP_ACT_TRAP\"],\n"
        "      \"operators\": [\"SCMP_CMP_EQ\",\"SCMP_CMP_GE\",\"SCMP_CMP_GT\",\"SCMP_CMP_LE\",\"SCMP_CMP_LT\","
        "\"SCMP_CMP_MASKED_EQ\",\"SCMP_CMP_NE\"],\n"
        "      \"archs\": "
        "[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X32\",\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\"],\n"
        "      \"knownFlags\": "
        "[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_TSYNC\"],\n"
        "      \"supportedFlags\": "
        "[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_TSYNC\"]},\n"
        "    \"apparmor\": {\"enabled\": false},\n"
        "    \"selinux\": {\"enabled\": false},\n"
        "    \"intelRdt\": {\"enabled\": false}\n"
        "  },\n"
        "  \"annotations\": {\"io.github.criruntime.launch.version\": \"" LAUNCHER_VERSION "\","
        " \"io.github.seccomp.libseccomp.version\": \"%u.%u.%u\"}\n"
        "}\n",
        v->major, v->minor, v->micro);
    return 0;
}
