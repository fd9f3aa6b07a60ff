/* cgroup v2 limits (unified hierarchy). */
#include "cgroup.h"
#include <sys/stat.h>

int cg_v2_enable_controllers(const char *mnt, const char *path)
{
    /* Controllers must be enabled in every ancestor's subtree_control; a
     * controller the host does not offer is simply not enabled. */
    char cur[4096], tmp[4096], avail[512];
    snprintf(cur, sizeof(cur), "%s", mnt);
    snprintf(tmp, sizeof(tmp), "%s", path);
    char *save = NULL, *last = NULL;
    for (char *t = strtok_r(tmp, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        char f[4200];
        snprintf(f, sizeof(f), "%s/cgroup.controllers", cur);
        ssize_t n = read_file_at(AT_FDCWD, f, avail, sizeof(avail) - 1);
        if (n > 0) {
            avail[n] = 0;
            char en[600] = "";
            for (char *c = strtok(avail, " \n"); c; c = strtok(NULL, " \n"))
                if (strlen(en) + strlen(c) + 3 < sizeof(en))
                    strcat(strcat(strcat(en, en[0] ? " +" : "+"), c), "");
            snprintf(f, sizeof(f), "%s/cgroup.subtree_control", cur);
            if (en[0] && write_str_at(AT_FDCWD, f, en) < 0)
                log_warn("cannot enable controllers in %s: %s", cur, strerror(g_err.err));
        }
        size_t l = strlen(cur);
        snprintf(cur + l, sizeof(cur) - l, "/%s", t);
        if (mkdir(cur, 0755) < 0 && errno != EEXIST)
            return FAILSYS("mkdir", cur);
        last = t;
    }
    (void)last;
    return 0;
}

static int w(int dfd, const char *file, const char *fmt, long long v)
{
    char b[64];
    snprintf(b, sizeof(b), fmt, v);
    return write_str_at(dfd, file, b);
}

int cg_v2_apply(int dfd, const struct resources *r)
{
    if (r->cpu_shares > 0) {
        /* runc's shares->weight conversion: [2,262144] -> [1,10000] */
        long long wgt = 1 + ((r->cpu_shares - 2) * 9999) / 262142;
        if (w(dfd, "cpu.weight", "%lld", wgt) < 0)
            return -1;
    }
    if ((r->cpu_quota != -1 && r->cpu_quota != 0) || r->cpu_period > 0) {
        char b[64];
        long long period = r->cpu_period > 0 ? r->cpu_period : 100000;
        if (r->cpu_quota > 0)
            snprintf(b, sizeof(b), "%lld %lld", (long long)r->cpu_quota, period);
        else
            snprintf(b, sizeof(b), "max %lld", period);
        if (write_str_at(dfd, "cpu.max", b) < 0)
            return -1;
    }
    if (r->cpuset_cpus && *r->cpuset_cpus && write_str_at(dfd, "cpuset.cpus", r->cpuset_cpus) < 0)
        return -1;
    if (r->cpuset_mems && *r->cpuset_mems && write_str_at(dfd, "cpuset.mems", r->cpuset_mems) < 0)
        return -1;
    if (r->mem_limit > 0 && w(dfd, "memory.max", "%lld", r->mem_limit) < 0)
        return -1;
    if (r->mem_reservation > 0 && w(dfd, "memory.low", "%lld", r->mem_reservation) < 0)
        return -1;
    if (r->mem_swap > 0 && r->mem_limit > 0) {
        /* OCI swap is memory+swap; v2 swap.max is swap alone */
        long long sw = r->mem_swap - r->mem_limit;
        if (w(dfd, "memory.swap.max", "%lld", sw < 0 ? 0 : sw) < 0)
            return -1;
    } else if (r->mem_swap == -1 && r->mem_limit > 0 && faccessat(dfd, "memory.swap.max", F_OK, 0) == 0) {
        write_str_at(dfd, "memory.swap.max", "max");
    }
    if (r->pids_limit > 0 && w(dfd, "pids.max", "%lld", r->pids_limit) < 0)
        return -1;
    if (r->pids_limit < 0 && write_str_at(dfd, "pids.max", "max") < 0)
        return -1;
    if (r->blkio_weight > 0 && w(dfd, "io.weight", "default %lld", 1 + (r->blkio_weight - 10) * 9999 / 990) < 0)
        return -1;
    for (size_t i = 0; i < r->nhugetlb; i++) {
        char f[128];
        snprintf(f, sizeof(f), "hugetlb.%s.max", r->hugetlb[i].key);
        if (write_str_at(dfd, f, r->hugetlb[i].value) < 0)
            return -1;
    }
    for (size_t i = 0; i < r->nunified; i++) {
        const char *k = r->unified[i].key;
        if (strchr(k, '/') || k[0] == '.' || !strchr(k, '.'))
            return fail(EINVAL, "cgroup", k, "invalid unified key");
        if (write_str_at(dfd, k, r->unified[i].value) < 0)
            return -1;
    }
    return 0;
}
