/* Capabilities: bounding, effective, permitted, inheritable, ambient. */
#include "process.h"
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

uint64_t caps_host_bounding(void)
{
    char buf[4096];
    ssize_t n = read_file_at(AT_FDCWD, "/proc/self/status", buf, sizeof(buf) - 1);
    if (n <= 0)
        return ~0ULL;
    buf[n] = 0;
    char *p = strstr(buf, "CapBnd:");
    return p ? strtoull(p + 7, NULL, 16) : ~0ULL;
}

/* Requested capabilities outside the host bounding set cannot be granted
 * (e.g. CAP_SYS_RESOURCE on this kind of host): drop them with a warning. */
static uint64_t clamp(const char *set, uint64_t want, uint64_t bnd)
{
    uint64_t lost = want & ~bnd;
    for (int c = 0; lost && c < 64; c++)
        if (lost & (1ULL << c))
            log_warn("capability CAP_%s (%s) is not in the host bounding set; not granted", cap_name(c), set);
    return want & bnd;
}

int caps_drop_bounding(const struct process_spec *p)
{
    if (!p->has_caps)
        return 0;
    int last = cap_last();
    for (int c = 0; c <= last; c++) {
        if (p->caps[CAP_SET_BOUNDING] & (1ULL << c))
            continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return fail(errno, "drop bounding capability", cap_name(c), NULL);
    }
    return 0;
}

int caps_apply(const struct process_spec *p)
{
    if (!p->has_caps)
        return 0;
    uint64_t bnd = caps_host_bounding();
    uint64_t eff = clamp("effective", p->caps[CAP_SET_EFFECTIVE], bnd);
    uint64_t prm = clamp("permitted", p->caps[CAP_SET_PERMITTED], bnd);
    uint64_t inh = clamp("inheritable", p->caps[CAP_SET_INHERITABLE], bnd);
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2] = {
        {.effective = (uint32_t)eff, .permitted = (uint32_t)prm, .inheritable = (uint32_t)inh},
        {.effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(prm >> 32), .inheritable = (uint32_t)(inh >> 32)},
    };
    if (syscall(SYS_capset, &h, d) < 0)
        return FAILSYS("capset", NULL);
    /* The kernel only admits ambient caps that are permitted and inheritable;
     * like runc, others are skipped silently. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return FAILSYS("clear ambient", NULL);
    uint64_t amb = p->caps[CAP_SET_AMBIENT] & prm & inh;
    for (int c = 0; c < 64; c++)
        if ((amb & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
            return fail(errno, "raise ambient", cap_name(c), NULL);
    return 0;
}
