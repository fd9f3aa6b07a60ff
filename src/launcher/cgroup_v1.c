/* cgroupfs management: hierarchy discovery, create/join/destroy, v1 limits.
 * Handles pure v1, hybrid (v1 controllers + empty unified), and pure v2. */
#include "cgroup.h"
#include <dirent.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

bool cg_is_v2_host(void)
{
    struct statfs sf;
    return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static int read_hierarchies(struct hier *h, int max)
{
    _cleanup_file_ FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    if (!f)
        return FAILSYS("open", "/proc/self/mountinfo");
    while (getline(&line, &cap, f) > 0 && n < max) {
        char *sep = strstr(line, " - ");
        if (!sep)
            continue;
        char mnt[512], fstype[64], src[256], sopts[512];
        if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
            sscanf(sep + 3, "%63s %255s %511s", fstype, src, sopts) != 3)
            continue;
        bool v2 = strcmp(fstype, "cgroup2") == 0;
        if (!v2 && strcmp(fstype, "cgroup") != 0)
            continue;
        if (strncmp(mnt, "/sys/fs/cgroup", 14) != 0)
            continue;
        struct hier *e = &h[n++];
        snprintf(e->mnt, sizeof(e->mnt), "%s", mnt);
        e->v2 = v2;
        e->opts[0] = 0;
        /* keep only controller names / name= from super options */
        for (char *tok = strtok(sopts, ","); tok; tok = strtok(NULL, ",")) {
            if (!strcmp(tok, "rw") || !strcmp(tok, "ro") || !strncmp(tok, "release_agent", 13) ||
                !strcmp(tok, "clone_children") || !strcmp(tok, "noprefix") || !strncmp(tok, "nsdelegate", 10) ||
                !strncmp(tok, "memory_", 7) || v2)
                continue;
            size_t l = strlen(e->opts);
            snprintf(e->opts + l, sizeof(e->opts) - l, "%s%s", l ? "," : "", tok);
        }
    }
    free(line);
    return n;
}

/* Parsing the host's mountinfo costs ~0.1 ms and create needs the list five
 * times (mkdir, cgroup2 fd, join, cgroupfs mounts, device rules), so it is
 * read once per invocation; the init inherits the copy when it is cloned,
 * before any container mount (cgroupfs mount points do not change while a
 * runtime command runs). */
int cg_hierarchies(struct hier *h, int max)
{
    static struct hier cache[MAX_HIER];
    static int ncache = -1;
    if (ncache < 0) {
        int n = read_hierarchies(cache, MAX_HIER);
        if (n < 0)
            return n;
        ncache = n;
    }
    int n = ncache < max ? ncache : max;
    memcpy(h, cache, (size_t)n * sizeof(*h));
    return n;
}

void cg_path(const struct spec *s, const char *id, char *buf, size_t len)
{
    const char *p = s->cgroups_path && *s->cgroups_path ? s->cgroups_path : NULL;
    if (p)
        snprintf(buf, len, "%s%s", p[0] == '/' ? "" : "/", p);
    else
        snprintf(buf, len, "/criruntime-launch/%s", id);
}

static bool has_ctrl(const struct hier *h, const char *c)
{
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s", h->opts);
    for (char *t = strtok(tmp, ","); t; t = strtok(NULL, ","))
        if (strcmp(t, c) == 0)
            return true;
    return false;
}

static int path_ok(const char *p)
{
    if (strstr(p, "/../") || strstr(p, "/./") || (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")))
        return fail(EINVAL, "cgroup", p, "cgroupsPath must not contain . or .. components");
    return 0;
}

/* cpuset v1 refuses tasks while cpus/mems are empty: inherit them level by level. */
static int cpuset_fill(const char *mnt, const char *path)
{
    char cur[4096], val[512];
    snprintf(cur, sizeof(cur), "%s", mnt);
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *t = strtok(tmp, "/"); t; t = strtok(NULL, "/")) {
        char parent[4096];
        snprintf(parent, sizeof(parent), "%s", cur);
        size_t l = strlen(cur);
        snprintf(cur + l, sizeof(cur) - l, "/%s", t);
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        for (int i = 0; i < 2; i++) {
            char fp[4200];
            snprintf(fp, sizeof(fp), "%s/%s", cur, files[i]);
            ssize_t n = read_file_at(AT_FDCWD, fp, val, sizeof(val) - 1);
            if (n > 1)
                continue;
            snprintf(fp, sizeof(fp), "%s/%s", parent, files[i]);
            n = read_file_at(AT_FDCWD, fp, val, sizeof(val) - 1);
            if (n <= 0)
                return -1;
            val[n] = 0;
            snprintf(fp, sizeof(fp), "%s/%s", cur, files[i]);
            if (write_str_at(AT_FDCWD, fp, val) < 0)
                return -1;
        }
    }
    return 0;
}

int cg_apply(const struct spec *s, const char *id, bool v2)
{
    struct hier h[MAX_HIER];
    char path[4096];
    cg_path(s, id, path, sizeof(path));
    if (path_ok(path) < 0)
        return -1;
    int n = cg_hierarchies(h, MAX_HIER);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (h[i].v2 != v2)
            continue;
        char full[4700];
        snprintf(full, sizeof(full), "%s%s", h[i].mnt, path);
        if (h[i].v2 && !cg_is_v2_host()) {
            /* hybrid: the unified tree only tracks membership */
            if (mkdir_p(full, 0755) < 0)
                return -1;
            continue;
        }
        if (h[i].v2 && cg_v2_enable_controllers(h[i].mnt, path) < 0)
            return -1;
        if (mkdir_p(full, 0755) < 0)
            return -1;
        if (has_ctrl(&h[i], "cpuset") && cpuset_fill(h[i].mnt, path) < 0)
            return -1;
        _cleanup_fd_ int dfd = open(full, O_DIRECTORY | O_PATH | O_CLOEXEC);
        if (dfd < 0)
            return FAILSYS("open", full);
        int r = h[i].v2 ? cg_v2_apply(dfd, &s->res) : cg_v1_apply(&h[i], dfd, &s->res);
        if (r < 0)
            return -1;
    }
    return 0;
}

/* update: new limits on the cgroups create made (never creates one; devices
 * stay as created, as with runc update). */
int cg_update(const struct spec *s, const char *id, const struct resources *r)
{
    struct hier h[MAX_HIER];
    char path[4096];
    cg_path(s, id, path, sizeof(path));
    if (path_ok(path) < 0)
        return -1;
    int n = cg_hierarchies(h, MAX_HIER);
    if (n < 0)
        return -1;
    bool v2host = cg_is_v2_host();
    if (r->nunified && !v2host)
        return fail(EINVAL, "update", id, "unified resources need cgroup v2");
    for (int i = 0; i < n; i++) {
        if (h[i].v2 != v2host)
            continue; /* hybrid: the unified tree only tracks membership */
        char full[4700];
        snprintf(full, sizeof(full), "%s%s", h[i].mnt, path);
        _cleanup_fd_ int dfd = open(full, O_DIRECTORY | O_PATH | O_CLOEXEC);
        if (dfd < 0)
            return FAILSYS("open", full);
        if ((h[i].v2 ? cg_v2_apply(dfd, r) : cg_v1_apply(&h[i], dfd, r)) < 0)
            return -1;
    }
    return 0;
}

int cg_join(const struct spec *s, const char *id, pid_t pid)
{
    struct hier h[MAX_HIER];
    char path[4096], pidtxt[32];
    cg_path(s, id, path, sizeof(path));
    snprintf(pidtxt, sizeof(pidtxt), "%d", pid);
    int n = cg_hierarchies(h, MAX_HIER);
    for (int i = 0; i < n; i++) {
        char full[4800];
        snprintf(full, sizeof(full), "%s%s/cgroup.procs", h[i].mnt, path);
        if (write_str_at(AT_FDCWD, full, pidtxt) < 0)
            return -1;
    }
    return n < 0 ? -1 : 0;
}

/* Join the calling (single-threaded) process to its v1 cgroups by writing
 * "0" to each "tasks" file: moving only the current thread skips the global
 * threadgroup lock, whose first write-lock waits for an RCU grace period
 * (milliseconds) — the dominant cost of creating a container on v1. The v2
 * node is joined at clone time with CLONE_INTO_CGROUP (cg_open_v2). */
int cg_join_self_v1(const struct spec *s, const char *id)
{
    struct hier h[MAX_HIER];
    char path[4096];
    cg_path(s, id, path, sizeof(path));
    int n = cg_hierarchies(h, MAX_HIER);
    for (int i = 0; i < n; i++) {
        if (h[i].v2)
            continue;
        char full[4800];
        snprintf(full, sizeof(full), "%s%s/tasks", h[i].mnt, path);
        if (write_str_at(AT_FDCWD, full, "0") < 0)
            return -1;
    }
    return n < 0 ? -1 : 0;
}

int cg_open_v2(const struct spec *s, const char *id)
{
    struct hier h[MAX_HIER];
    char path[4096];
    cg_path(s, id, path, sizeof(path));
    int n = cg_hierarchies(h, MAX_HIER);
    for (int i = 0; i < n; i++) {
        if (!h[i].v2)
            continue;
        char full[4700];
        snprintf(full, sizeof(full), "%s%s", h[i].mnt, path);
        int fd = open(full, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? FAILSYS("open", full) : fd;
    }
    return n < 0 ? -1 : -2; /* -2: no cgroup2 hierarchy */
}

int cg_read_pids(const struct spec *s, const char *id, pid_t **out, size_t *cnt)
{
    struct hier h[MAX_HIER];
    char path[4096], full[4800];
    cg_path(s, id, path, sizeof(path));
    int n = cg_hierarchies(h, MAX_HIER), pick = -1;
    /* prefer a real controller hierarchy; every process is in all of them */
    for (int i = 0; i < n; i++)
        if (pick < 0 || (has_ctrl(&h[i], "pids") || (h[i].v2 && cg_is_v2_host())))
            pick = i;
    *out = NULL;
    *cnt = 0;
    if (pick < 0)
        return 0;
    snprintf(full, sizeof(full), "%s%s/cgroup.procs", h[pick].mnt, path);
    _cleanup_file_ FILE *f = fopen(full, "re");
    if (!f)
        return errno == ENOENT ? 0 : FAILSYS("open", full);
    size_t cap = 16;
    *out = calloc(cap, sizeof(pid_t));
    int p;
    while (fscanf(f, "%d", &p) == 1) {
        if (*cnt == cap)
            *out = realloc(*out, (cap *= 2) * sizeof(pid_t));
        (*out)[(*cnt)++] = p;
    }
    return 0;
}

int cg_destroy(const struct spec *s, const char *id)
{
    struct hier h[MAX_HIER];
    char path[4096];
    cg_path(s, id, path, sizeof(path));
    int n = cg_hierarchies(h, MAX_HIER), r = 0;
    for (int i = 0; i < n; i++) {
        char full[4700];
        snprintf(full, sizeof(full), "%s%s", h[i].mnt, path);
        /* a killed task may still be leaving the cgroup: retry EBUSY briefly */
        for (int tries = 0; tries < 200; tries++) {
            if (rmdir(full) == 0 || errno == ENOENT)
                break;
            if (errno != EBUSY || tries == 199) {
                r = FAILSYS("rmdir", full);
                break;
            }
            usleep(5000);
        }
    }
    return r;
}

static int w64(int dfd, const char *file, int64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", (long long)v);
    return write_str_at(dfd, file, b);
}

static int v1_devices(int dfd, const struct resources *r)
{
    /* Always-allowed default devices, as runc appends them after the spec's rules. */
    static const char *const dflt[] = {"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",   "c 1:9 rwm",
                                       "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", NULL};
    for (size_t i = 0; i < r->ndevices; i++) {
        const struct devrule *d = &r->devices[i];
        char rule[96], maj[24], min[24];
        if (d->major < 0)
            snprintf(maj, sizeof(maj), "*");
        else
            snprintf(maj, sizeof(maj), "%lld", (long long)d->major);
        if (d->minor < 0)
            snprintf(min, sizeof(min), "*");
        else
            snprintf(min, sizeof(min), "%lld", (long long)d->minor);
        if (d->type == 'a')
            snprintf(rule, sizeof(rule), "a");
        else
            snprintf(rule, sizeof(rule), "%c %s:%s %s", d->type, maj, min, d->access);
        if (write_str_at(dfd, d->allow ? "devices.allow" : "devices.deny", rule) < 0)
            return -1;
    }
    if (r->ndevices)
        for (int i = 0; dflt[i]; i++)
            if (write_str_at(dfd, "devices.allow", dflt[i]) < 0)
                return -1;
    return 0;
}

/* The kernel keeps memory.limit <= memory.memsw.limit at every write: when an
 * update raises the limit above the current memsw, memsw must go first. */
static int v1_memory(int dfd, const struct resources *r)
{
    bool sw = r->mem_swap != -1 && r->mem_swap != 0;
    if (sw && faccessat(dfd, "memory.memsw.limit_in_bytes", F_OK, 0) < 0) {
        log_warn("swap limit requested but swap accounting is off; ignoring memory.swap");
        sw = false;
    }
    bool sw_first = false;
    if (sw && r->mem_limit > 0) {
        char cur[32];
        ssize_t n = read_file_at(dfd, "memory.memsw.limit_in_bytes", cur, sizeof(cur) - 1);
        if (n > 0) {
            cur[n] = 0;
            sw_first = (unsigned long long)r->mem_limit > strtoull(cur, NULL, 10);
        }
    }
    if (sw_first && w64(dfd, "memory.memsw.limit_in_bytes", r->mem_swap) < 0)
        return -1;
    if (r->mem_limit > 0 && w64(dfd, "memory.limit_in_bytes", r->mem_limit) < 0)
        return -1;
    if (r->mem_reservation > 0 && w64(dfd, "memory.soft_limit_in_bytes", r->mem_reservation) < 0)
        return -1;
    if (sw && !sw_first && w64(dfd, "memory.memsw.limit_in_bytes", r->mem_swap) < 0)
        return -1;
    return 0;
}

int cg_v1_apply(const struct hier *h, int dfd, const struct resources *r)
{
    if (has_ctrl(h, "cpu")) {
        if (r->cpu_shares > 0 && w64(dfd, "cpu.shares", r->cpu_shares) < 0)
            return -1;
        if (r->cpu_period > 0 && w64(dfd, "cpu.cfs_period_us", r->cpu_period) < 0)
            return -1;
        if (r->cpu_quota != -1 && r->cpu_quota != 0 && w64(dfd, "cpu.cfs_quota_us", r->cpu_quota) < 0)
            return -1;
    }
    if (has_ctrl(h, "cpuset")) {
        if (r->cpuset_cpus && *r->cpuset_cpus && write_str_at(dfd, "cpuset.cpus", r->cpuset_cpus) < 0)
            return -1;
        if (r->cpuset_mems && *r->cpuset_mems && write_str_at(dfd, "cpuset.mems", r->cpuset_mems) < 0)
            return -1;
    }
    if (has_ctrl(h, "memory") && v1_memory(dfd, r) < 0)
        return -1;
    if (has_ctrl(h, "pids") && r->pids_limit != 0) {
        if (r->pids_limit > 0 ? w64(dfd, "pids.max", r->pids_limit) < 0 : write_str_at(dfd, "pids.max", "max") < 0)
            return -1;
    }
    if (has_ctrl(h, "blkio") && r->blkio_weight > 0) {
        const char *f = faccessat(dfd, "blkio.weight", F_OK, 0) == 0 ? "blkio.weight" : "blkio.bfq.weight";
        if (w64(dfd, f, r->blkio_weight) < 0)
            return -1;
    }
    if (has_ctrl(h, "hugetlb"))
        for (size_t i = 0; i < r->nhugetlb; i++) {
            char f[128];
            snprintf(f, sizeof(f), "hugetlb.%s.limit_in_bytes", r->hugetlb[i].key);
            if (write_str_at(dfd, f, r->hugetlb[i].value) < 0)
                return -1;
        }
    return 0;
}

/* Device rules go in last, from the parent, once the init has created its
 * device nodes (mknod is itself subject to the devices controller). */
int cg_prepare_devices(const struct spec *s)
{
    struct hier h[MAX_HIER];
    int n = cg_hierarchies(h, MAX_HIER);
    for (int i = 0; i < n; i++)
        if (h[i].v2)
            return cg_v2_devices_load(&s->res);
    return n < 0 ? -1 : 0;
}

int cg_apply_devices(const struct spec *s, const char *id)
{
    struct hier h[MAX_HIER];
    char path[4096];
    cg_path(s, id, path, sizeof(path));
    int n = cg_hierarchies(h, MAX_HIER);
    for (int i = 0; i < n; i++) {
        /* on a hybrid host the rules are also attached as a BPF program to
         * the unified node: same rules, enforced twice */
        if (!h[i].v2 && !has_ctrl(&h[i], "devices"))
            continue;
        char full[4700];
        snprintf(full, sizeof(full), "%s%s", h[i].mnt, path);
        _cleanup_fd_ int dfd = open(full, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (dfd < 0)
            return FAILSYS("open", full);
        if ((h[i].v2 ? cg_v2_devices(dfd, &s->res) : v1_devices(dfd, &s->res)) < 0)
            return -1;
    }
    return n < 0 ? -1 : 0;
}
