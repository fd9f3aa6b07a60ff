/* The container's first process: runs inside the new namespaces from clone()
 * until execve(). Every failure is sent to the parent over the sync socket
 * before exit, so the error is logged once, at the top. */
#include "verbs.h"
#include "process.h"
#include "rootfs.h"
#include "cgroup.h"
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

int sync_send(int fd, int type, pid_t pid)
{
    struct syncmsg m = {.type = type, .pid = pid};
    if (type == SYNC_ERR)
        m.err = g_err;
    return send(fd, &m, sizeof(m), MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0 : FAILSYS("sync send", NULL);
}
int sync_send_err(int fd)
{
    return sync_send(fd, SYNC_ERR, 0);
}

/* For a message that is due within the next fraction of a millisecond:
 * polls, yielding the CPU, for up to 1 ms before it sleeps. Traces on our
 * 2-vCPU VM show a sleeping init woken on the sender's busy CPU, waiting
 * there ~0.6 ms until the sender blocks, while the other CPU idles. */
int sync_recv_soon(int fd, struct syncmsg *m)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        if (recv(fd, m, sizeof(*m), MSG_DONTWAIT | MSG_PEEK) >= 0 || errno != EAGAIN)
            break;
        sched_yield();
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 1000000L);
    return sync_recv(fd, m);
}

int sync_recv(int fd, struct syncmsg *m)
{
    ssize_t n;
    do
        n = recv(fd, m, sizeof(*m), 0);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return 0;
    if (n != (ssize_t)sizeof(*m))
        return fail(n < 0 ? errno : EPROTO, "sync recv", NULL, NULL);
    return 1;
}

__attribute__((noreturn)) static void die(int syncfd)
{
    if (syncfd >= 0)
        sync_send_err(syncfd);
    else
        log_error_obj(&g_err);
    _exit(1);
}

/* Identity, capabilities and seccomp, in the only order that works:
 * seccomp needs CAP_SYS_ADMIN unless no_new_privs is set, the bounding set
 * needs CAP_SETPCAP, and the uid change needs keepcaps. */
static int finish_process(const struct spec *s, const struct process_spec *p, bool seccomp_now)
{
    if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return FAILSYS("prctl no_new_privs", NULL);
    if (seccomp_now && seccomp_apply(s->seccomp) < 0)
        return -1;
    if (caps_drop_bounding(p) < 0 || user_apply(p) < 0 || caps_apply(p) < 0)
        return -1;
    return 0;
}

__attribute__((noreturn)) static void do_exec(const struct spec *s, const struct process_spec *p, const char *exe,
                                              bool seccomp_late)
{
    /* seccomp last when no_new_privs allows it: fewer of our own syscalls run under the filter */
    if (seccomp_late && seccomp_apply(s->seccomp) < 0) {
        log_error_obj(&g_err);
        _exit(127);
    }
    execve(exe, p->args, p->env);
    fail(errno, "exec", exe, NULL);
    log_error_obj(&g_err);
    _exit(127);
}

static int g_sync = -1;
static const struct spec *g_spec;

/* The parent creates our v1 cgroups while we set up the rootfs and confirms
 * with SYNC_CGROUP; we need them only before a cgroup namespace or cgroupfs
 * mount, and before pivot_root at the latest. Then we join them ourselves, or, in a
 * new user namespace, the parent has joined us (a v1 cgroup.procs write waits
 * for an RCU grace period; overlapping it with the mounts saves most of it). */
static bool g_self_join;
static const char *g_id;
static int cgroup_ready(void)
{
    static bool done;
    struct syncmsg m;
    if (done)
        return 0;
    if (sync_recv_soon(g_sync, &m) != 1 || m.type != SYNC_CGROUP)
        return fail(EPROTO, "init", NULL, "parent did not confirm the cgroups");
    /* the host's /sys/fs/cgroup: called before any cgroupfs mount and
     * before pivot_root (or in a joined mount namespace, as given) */
    if (g_self_join && cg_join_self_v1(g_spec, g_id) < 0)
        return -1;
    done = true;
    const struct ns_spec *cg = spec_ns(g_spec, CLONE_NEWCGROUP);
    /* after the join, so the namespace root is the container's cgroup */
    if (cg && !cg->path && unshare(CLONE_NEWCGROUP) < 0)
        return FAILSYS("unshare cgroup namespace", NULL);
    trace("init cgroup joined");
    return 0;
}

void container_init(const struct spec *s, const char *id, int syncfd, int fifofd, int consfd, int preserve_fds,
                    bool self_join)
{
    g_sync = syncfd;
    g_spec = s;
    const struct process_spec *p = &s->proc;
    struct syncmsg m;
    /* Until execve (which resets it) /proc/<pid>/{fd,exe,mem} of this process
     * stay closed to other processes of the container. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die((FAILSYS("prctl dumpable", NULL), syncfd));
    if (sync_recv(syncfd, &m) != 1 || m.type != SYNC_GO)
        _exit(1);
    trace("init go");
    g_self_join = self_join;
    g_id = id;
    bool userns = spec_ns(s, CLONE_NEWUSER) != NULL;
    if (userns && !spec_ns(s, CLONE_NEWUSER)->path && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
        die((FAILSYS("become root in user namespace", NULL), syncfd));
    umask(0);
    /* both opened before anything of the container is mounted */
    _cleanup_fd_ int devnull = s->nmasked ? open_verified_devnull() : -1;
    if (s->nmasked && devnull < 0)
        die(syncfd);
    _cleanup_fd_ int procfd = procfs_open_private();
    if (procfd < 0)
        die(syncfd);
    trace("init procfs");
    const struct ns_spec *mnt = spec_ns(s, CLONE_NEWNS);
    if (!mnt)
        die((fail(EINVAL, "create", NULL, "a mount namespace is required"), syncfd));
    if (!mnt->path) {
        /* cgroups joined before pivot_root, while /sys/fs/cgroup is the host's */
        _cleanup_fd_ int rootfd = rootfs_prepare(s, id, userns, cgroup_ready);
        if (rootfd < 0 || rootfs_mask(s, rootfd, devnull) < 0 || cgroup_ready() < 0 ||
            rootfs_pivot(rootfd, g_opts.no_pivot) < 0 || rootfs_finish(s) < 0)
            die(syncfd);
    }
    trace("init rootfs done");
    if (cgroup_ready() < 0)
        die(syncfd);
    if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
        die((FAILSYS("sethostname", s->hostname), syncfd));
    if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
        die((FAILSYS("setdomainname", s->domainname), syncfd));
    if (sysctl_apply(s, procfd) < 0 || oom_score_apply(p, procfd) < 0 || rlimits_apply(p) < 0)
        die(syncfd);
    if (p->terminal && consfd < 0)
        die((fail(EINVAL, "create", NULL, "process.terminal needs --console-socket"), syncfd));
    if (p->terminal && console_setup(consfd) < 0)
        die(syncfd);
    if (!p->terminal)
        setsid();
    char exe[4096];
    if (chdir_in_root(p->cwd) < 0 || find_executable(p, exe, sizeof(exe)) < 0)
        die(syncfd);
    bool late = p->nnp;
    if (finish_process(s, p, !late) < 0 || close_stray_fds(3 + preserve_fds) < 0)
        die(syncfd);
    if (consfd >= 0)
        close(consfd);
    trace("init ready");
    if (sync_send(syncfd, SYNC_READY, getpid()) < 0)
        _exit(1);
    /* CVE-2024-21626: while created, hold nothing but what start and exec need */
    int keep[4] = {procfd, fifofd, log_fileno(), -1};
    if (close_fds_except(3 + preserve_fds, keep, 3) < 0) {
        log_error_obj(&g_err);
        _exit(1);
    }
    syncfd = -1;
    /* Block until `start` opens the fifo for reading. The O_PATH fd was
     * opened on the host; reopening it through our private procfs needs no
     * host path and no container /proc. Only our own fd directory is kept:
     * closing the procfs mount fd dissolves that detached mount, an RCU
     * grace period that is better spent now, while nobody waits for us,
     * than after `start`. */
    char rel[64], num[16];
    snprintf(rel, sizeof(rel), "%d/fd", getpid());
    snprintf(num, sizeof(num), "%d", fifofd);
    int fddir = openat(procfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
    close(procfd);
    procfd = -1;
    int w = fddir < 0 ? -1 : openat(fddir, num, O_WRONLY | O_CLOEXEC);
    if (w < 0 || write(w, "0", 1) != 1) {
        fail(errno, "open", "exec.fifo", NULL);
        log_error_obj(&g_err);
        _exit(1);
    }
    close(w);
    close(fifofd);
    close(fddir);
    do_exec(s, p, exe, late);
}

void exec_init(const struct spec *s, int syncfd, int consfd, int preserve_fds)
{
    const struct process_spec *p = &s->proc;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        die((FAILSYS("prctl dumpable", NULL), syncfd));
    if (rlimits_apply(p) < 0)
        die(syncfd);
    if (p->terminal && consfd < 0)
        die((fail(EINVAL, "exec", NULL, "--tty needs --console-socket"), syncfd));
    if (p->terminal && console_setup(consfd) < 0)
        die(syncfd);
    char exe[4096];
    if (chdir_in_root(p->cwd) < 0 || find_executable(p, exe, sizeof(exe)) < 0)
        die(syncfd);
    bool late = p->nnp;
    if (finish_process(s, p, !late) < 0 || close_stray_fds(3 + preserve_fds) < 0)
        die(syncfd);
    if (consfd >= 0)
        close(consfd);
    /* syncfd is close-on-exec: a successful execve shows up as EOF in the parent */
    if (late && seccomp_apply(s->seccomp) < 0)
        die(syncfd);
    execve(exe, p->args, p->env);
    die((fail(errno, "exec", exe, NULL), syncfd));
}
