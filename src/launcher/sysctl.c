/* Writes into /proc: sysctls and oom_score_adj, always through a private procfs
 * instance we just created (fsopen), never through a path the container's
 * mounts could have redirected. */
#include "process.h"
#include "mounts.h"
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

int procfs_open_private(void)
{
    int m = fs_new("proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (m < 0)
        return -1;
    struct statfs sf;
    if (fstatfs(m, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
        close(m);
        return fail(EPERM, "verify procfs", NULL, "not a procfs");
    }
    return m;
}

static int proc_open_write(int procfd, const char *rel)
{
    struct open_how how = {.flags = O_WRONLY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
    int fd = (int)syscall(SYS_openat2, procfd, rel, &how, sizeof(how));
    return fd < 0 ? fail(errno, "open", rel, "in private procfs") : fd;
}

static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
                                       "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
                                       "kernel.shmmni", "kernel.shm_rmid_forced", NULL};

/* CVE-2022-0811: each key and value is checked on its own: only namespaced
 * keys, only in a namespace the container owns, no separators or control
 * characters that could smuggle a second assignment. */
static int validate_one(const struct spec *s, const char *key, const char *val, char *rel, size_t rlen)
{
    size_t kl = strlen(key);
    if (!kl || kl > 200 || key[0] == '.' || key[0] == '/' || strstr(key, "..") || strstr(key, "//"))
        return fail(EINVAL, "sysctl", key, "invalid key");
    for (const char *c = key; *c; c++)
        if (!(('a' <= *c && *c <= 'z') || ('A' <= *c && *c <= 'Z') || ('0' <= *c && *c <= '9') || *c == '_' ||
              *c == '.' || *c == '-' || *c == '/'))
            return fail(EINVAL, "sysctl", key, "invalid character in key");
    if (strlen(val) > 256)
        return fail(EINVAL, "sysctl", key, "value too long");
    for (const char *c = val; *c; c++)
        if ((unsigned char)*c < 0x20 ? *c != '\t' : (*c == '=' || *c == '+' || *c == ';' || *c == '|' || *c == 0x7f))
            return fail(EINVAL, "sysctl", key, "invalid character in value");
    char dotted[256];
    snprintf(dotted, sizeof(dotted), "%s", key);
    for (char *c = dotted; *c; c++)
        if (*c == '/')
            *c = '.';
    bool ipc = false, net = false;
    for (int i = 0; ipc_keys[i]; i++)
        ipc |= !strcmp(dotted, ipc_keys[i]);
    ipc |= !strncmp(dotted, "fs.mqueue.", 10);
    net = !strncmp(dotted, "net.", 4);
    bool uts = !strcmp(dotted, "kernel.hostname") || !strcmp(dotted, "kernel.domainname");
    if (ipc && !spec_ns(s, CLONE_NEWIPC))
        return fail(EPERM, "sysctl", key, "requires an IPC namespace");
    if (net && !spec_ns(s, CLONE_NEWNET))
        return fail(EPERM, "sysctl", key, "requires a network namespace");
    if (uts && !spec_ns(s, CLONE_NEWUTS))
        return fail(EPERM, "sysctl", key, "requires a UTS namespace");
    if (!ipc && !net && !uts)
        return fail(EPERM, "sysctl", key, "not a namespaced sysctl");
    /* dotted keys map dots to slashes; slashed keys are taken as given */
    snprintf(rel, rlen, "sys/%s", key);
    if (!strchr(key, '/'))
        for (char *c = rel + 4; *c; c++)
            if (*c == '.')
                *c = '/';
    return 0;
}

int sysctl_validate(const struct spec *s)
{
    char rel[300];
    for (size_t i = 0; i < s->nsysctl; i++)
        if (validate_one(s, s->sysctl[i].key, s->sysctl[i].value, rel, sizeof(rel)) < 0)
            return -1;
    return 0;
}

int sysctl_apply(const struct spec *s, int procfd)
{
    char rel[300];
    for (size_t i = 0; i < s->nsysctl; i++) {
        const char *k = s->sysctl[i].key, *v = s->sysctl[i].value;
        if (validate_one(s, k, v, rel, sizeof(rel)) < 0)
            return -1;
        _cleanup_fd_ int fd = proc_open_write(procfd, rel);
        if (fd < 0)
            return -1;
        if (write_full(fd, v, strlen(v)) < 0)
            return fail(errno, "sysctl", k, "write %s", v);
    }
    return 0;
}

/* Lowering oom_score_adj needs CAP_SYS_RESOURCE in the initial namespace;
 * hosts without it get the lowest value we may set (our current one), logged. */
int oom_score_apply(const struct process_spec *p, int procfd)
{
    if (!p->has_oom)
        return 0;
    char rel[64], buf[32];
    snprintf(rel, sizeof(rel), "%d/oom_score_adj", getpid());
    _cleanup_fd_ int fd = proc_open_write(procfd, rel);
    if (fd < 0)
        return -1;
    snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
    if (write(fd, buf, strlen(buf)) >= 0)
        return 0;
    if (errno != EACCES && errno != EPERM)
        return fail(errno, "write", "oom_score_adj", "%s", buf);
    char cur[32] = {0};
    _cleanup_fd_ int rfd = openat(procfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (rfd < 0 || read(rfd, cur, sizeof(cur) - 1) <= 0)
        return fail(errno, "read", "oom_score_adj", NULL);
    log_warn("oomScoreAdj %d is below what this host allows without CAP_SYS_RESOURCE; clamped to %d", p->oom_score_adj,
             atoi(cur));
    return 0;
}
