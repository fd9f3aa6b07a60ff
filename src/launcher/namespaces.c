/* Namespace creation and joining. */
#include "namespaces.h"
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int ns_join_paths(const struct spec *s)
{
    int fds[16];
    size_t n = 0;
    /* Open everything first: after joining a mount namespace host paths are gone. */
    for (size_t i = 0; i < s->nns && n < 16; i++) {
        if (!s->ns[i].path)
            continue;
        fds[n] = open(s->ns[i].path, O_RDONLY | O_CLOEXEC);
        if (fds[n] < 0)
            return FAILSYS("open namespace", s->ns[i].path);
        n++;
    }
    /* user first (it grants the rights for the others), mount last */
    static const int order[] = {CLONE_NEWUSER, CLONE_NEWIPC,    CLONE_NEWUTS, CLONE_NEWNET,
                                CLONE_NEWPID,  CLONE_NEWCGROUP, CLONE_NEWNS};
    for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
        size_t k = 0;
        for (size_t i = 0; i < s->nns; i++) {
            if (!s->ns[i].path)
                continue;
            if (s->ns[i].type == order[o] && setns(fds[k], s->ns[i].type) < 0) {
                int e = errno;
                for (size_t j = 0; j < n; j++)
                    close(fds[j]);
                return fail(e, "setns", s->ns[i].path, NULL);
            }
            k++;
        }
    }
    for (size_t j = 0; j < n; j++)
        close(fds[j]);
    return 0;
}

bool ns_join_before_clone(const struct spec *s)
{
    for (size_t i = 0; i < s->nns; i++)
        if (s->ns[i].path && (s->ns[i].type == CLONE_NEWPID || s->ns[i].type == CLONE_NEWUSER))
            return true;
    return false;
}

int ns_clone_flags(const struct spec *s)
{
    int f = 0;
    for (size_t i = 0; i < s->nns; i++)
        if (!s->ns[i].path && s->ns[i].type != CLONE_NEWCGROUP)
            f |= s->ns[i].type;
    return f;
}

static int write_map(pid_t pid, const char *file, const struct idmap *m, size_t n)
{
    char path[64], buf[4096];
    size_t off = 0;
    if (!n)
        return 0;
    for (size_t i = 0; i < n && off < sizeof(buf) - 64; i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n", m[i].inner, m[i].outer, m[i].size);
    snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
    return write_file_at(AT_FDCWD, path, buf, off, 0);
}

int ns_write_idmaps(const struct spec *s, pid_t pid)
{
    if (write_map(pid, "uid_map", s->uidmap, s->nuidmap) < 0)
        return -1;
    return write_map(pid, "gid_map", s->gidmap, s->ngidmap);
}

int ns_join_container(pid_t pid)
{
    static const struct {
        const char *name;
        int flag;
    } all[] = {
        {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
        {"pid", CLONE_NEWPID},   {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
    };
    int flags = 0;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        char a[64], b[64];
        struct stat sa, sb;
        snprintf(a, sizeof(a), "/proc/%d/ns/%s", pid, all[i].name);
        snprintf(b, sizeof(b), "/proc/self/ns/%s", all[i].name);
        if (stat(a, &sa) < 0)
            return FAILSYS("stat", a);
        if (stat(b, &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev)
            continue;
        flags |= all[i].flag;
    }
    /* pidfd + setns joins all at once, in the kernel's own safe order (5.8+). */
    _cleanup_fd_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0)
        return FAILSYS("pidfd_open", NULL);
    if (flags && setns(pfd, flags) < 0)
        return FAILSYS("setns", "container namespaces");
    return 0;
}

pid_t clone_child_into(int flags, int cgroupfd)
{
    /* clone3 places the child in the cgroup2 node atomically, without the
     * migration (and its RCU grace period) a cgroup.procs write costs */
    struct clone_args a = {
        .flags = (uint64_t)flags | CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgroupfd};
    pid_t p = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
    if (p < 0)
        FAILSYS("clone3", NULL);
    return p;
}

pid_t clone_child(int flags)
{
    /* Raw clone with a NULL stack behaves like fork, with new namespaces. */
    pid_t p = (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, 0);
    if (p < 0)
        FAILSYS("clone", NULL);
    return p;
}
