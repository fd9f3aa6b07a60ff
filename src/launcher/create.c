/* create (and run): set up cgroups and state, clone the container init,
 * wait until it is configured and blocked on exec.fifo. */
#include "verbs.h"
#include "cgroup.h"
#include "namespaces.h"
#include "process.h"
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

int write_pid_file(const char *path, pid_t pid)
{
    char tmp[PATH_MAX + 8], txt[32];
    if (!path)
        return 0;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    snprintf(txt, sizeof(txt), "%d", pid);
    if (write_file_at(AT_FDCWD, tmp, txt, strlen(txt), O_CREAT | O_TRUNC) < 0)
        return -1;
    if (rename(tmp, path) < 0)
        return FAILSYS("rename", path);
    return 0;
}

/* Clone the init ourselves when it can join its path namespaces itself
 * (net, ipc, uts, cgroup, mount): one process start and one message fewer.
 * Returns its pid, or -1. */
static pid_t spawn_direct(const struct spec *s, const char *id, int fifofd, int consfd, int preserve, int sv[2],
                          int cgfd, bool self_join)
{
    pid_t child = cgfd >= 0 ? clone_child_into(ns_clone_flags(s), cgfd) : clone_child(ns_clone_flags(s));
    if (child != 0)
        return child;
    close(sv[0]);
    /* not dumpable while it joins: nothing may open our /proc files */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        FAILSYS("prctl dumpable", NULL);
    else if (ns_join_paths(s) == 0)
        container_init(s, id, sv[1], fifofd, consfd, preserve, self_join);
    sync_send_err(sv[1]);
    _exit(1);
}

/* Start the init. Unless spawn_direct() can, fork the helper that joins the
 * path namespaces that only children can be created in (pid) or that must
 * own the new ones (user) and clones the init with the new ones. Returns the
 * helper's pid, whose init's pid the caller collects later with spawn_pid()
 * so it can work meanwhile, or 0 with *direct set to the init's pid. */
static pid_t spawn(const struct spec *s, const char *id, int fifofd, int consfd, int preserve, int *psync,
                   bool exec_mode, pid_t target, int cgfd, bool self_join, pid_t *direct)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return FAILSYS("socketpair", NULL);
    if (!exec_mode && !ns_join_before_clone(s)) {
        *direct = spawn_direct(s, id, fifofd, consfd, preserve, sv, cgfd, self_join);
        close(sv[1]);
        if (*direct < 0) {
            close(sv[0]);
            return -1;
        }
        *psync = sv[0];
        return 0;
    }
    pid_t helper = fork();
    if (helper < 0) {
        close(sv[0]);
        close(sv[1]);
        return FAILSYS("fork", NULL);
    }
    if (helper == 0) {
        close(sv[0]);
        int r;
        if (exec_mode)
            r = cg_join_self_v1(s, id) < 0 ? -1 : ns_join_container(target);
        else
            r = ns_join_paths(s);
        if (r < 0) {
            sync_send_err(sv[1]);
            _exit(1);
        }
        int flags = exec_mode ? 0 : ns_clone_flags(s);
        pid_t child = cgfd >= 0 ? clone_child_into(flags, cgfd) : clone_child(flags);
        if (child < 0) {
            sync_send_err(sv[1]);
            _exit(1);
        }
        if (child == 0) {
            if (exec_mode)
                exec_init(s, sv[1], consfd, preserve);
            container_init(s, id, sv[1], fifofd, consfd, preserve, self_join);
        }
        sync_send(sv[1], SYNC_PID, child);
        _exit(0);
    }
    close(sv[1]);
    *psync = sv[0];
    return helper;
}

/* With reap false the caller reaps the helper later: its exit (once it has
 * reported the pid) need not delay the init. */
static pid_t spawn_pid(int syncfd, pid_t helper, bool reap)
{
    struct syncmsg m;
    int st, r = sync_recv(syncfd, &m);
    if (reap || r != 1 || m.type != SYNC_PID)
        waitpid(helper, &st, 0);
    if (r == 1 && m.type == SYNC_ERR) {
        g_err = m.err;
        return -1;
    }
    if (r != 1 || m.type != SYNC_PID)
        return r < 0 ? -1 : fail(EPROTO, "spawn", NULL, "helper exited without reporting a pid");
    return m.pid;
}

/* Wait for READY (create) or EOF-after-exec (exec); forward a child's error. */
int wait_child_ready(int syncfd, int want)
{
    struct syncmsg m;
    int r = sync_recv(syncfd, &m);
    if (r == 1 && m.type == SYNC_ERR) {
        g_err = m.err;
        return -1;
    }
    if (want == 0)
        return r == 0 ? 0 : (r < 0 ? -1 : fail(EPROTO, "sync", NULL, "unexpected message %d", m.type));
    if (r != 1 || m.type != want)
        return r < 0 ? -1 : fail(ECHILD, "create", NULL, "container init exited before it was ready");
    return 0;
}

/* A send fails when the init gave up first: its reason is waiting in the socket. */
static int sync_to_init(int syncfd, int type)
{
    if (sync_send(syncfd, type, 0) == 0)
        return 0;
    wait_child_ready(syncfd, SYNC_READY);
    return -1;
}

pid_t exec_spawn(const struct spec *s, const char *id, int consfd, int preserve, int *psync, pid_t target)
{
    _cleanup_fd_ int cgfd = cg_open_v2(s, id);
    if (cgfd == -1)
        return -1;
    pid_t helper = spawn(s, id, -1, consfd, preserve, psync, true, target, cgfd, true, NULL);
    exe_seal_release();
    return helper < 0 ? -1 : spawn_pid(*psync, helper, true);
}

int cmd_create(const struct create_opts *o, pid_t *init_pid)
{
    struct spec s;
    char bundle[PATH_MAX];
    if (!valid_id(o->id))
        return fail(EINVAL, "create", o->id, "invalid container id");
    if (!realpath(o->bundle ? o->bundle : ".", bundle))
        return FAILSYS("bundle", o->bundle);
    /* parsed and later copied to the state dir from one read: what the later
     * verbs see is exactly what was applied */
    char cfg[PATH_MAX + 16];
    size_t cfglen;
    snprintf(cfg, sizeof(cfg), "%s/config.json", bundle);
    _cleanup_free_ char *cfgtxt = read_whole_file(cfg, &cfglen);
    if (!cfgtxt || spec_parse(cfgtxt, cfg, bundle, &s) < 0 || sysctl_validate(&s) < 0)
        return -1;
    trace("spec loaded");
    _cleanup_fd_ int dirfd = state_create_dir(o->id);
    if (dirfd < 0)
        return -1;
    _cleanup_fd_ int fifofd = -1, consfd = -1, syncfd = -1, cgfd = -1;
    pid_t child = -1;
    /* 0622: the init may already run as the container user when it opens it */
    if (mkfifoat(dirfd, "exec.fifo", 0622) < 0) {
        FAILSYS("mkfifo", "exec.fifo");
        goto err;
    }
    /* mkfifo honours the umask; the mode must be exact */
    if (fchmodat(dirfd, "exec.fifo", 0622, 0) < 0) {
        FAILSYS("chmod", "exec.fifo");
        goto err;
    }
    fifofd = openat(dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
    if (fifofd < 0) {
        FAILSYS("open", "exec.fifo");
        goto err;
    }
    trace("state dir");
    if (o->console_socket && (consfd = console_connect(o->console_socket)) < 0)
        goto err;
    /* only the cgroup2 node before the clone (the init is cloned into it);
     * the v1 hierarchies below, while the init mounts its rootfs */
    if (cg_apply(&s, o->id, true) < 0)
        goto err;
    cgfd = cg_open_v2(&s, o->id);
    if (cgfd == -1)
        goto err;
    const struct ns_spec *u = spec_ns(&s, CLONE_NEWUSER);
    bool userns = u && !u->path;
    pid_t direct = 0;
    pid_t helper = spawn(&s, o->id, fifofd, consfd, o->preserve_fds, &syncfd, false, 0, cgfd, !userns, &direct);
    exe_seal_release();
    if (helper < 0)
        goto err;
    child = helper ? spawn_pid(syncfd, helper, false) : direct;
    if (child < 0)
        goto err;
    trace("spawned");
    if (userns && ns_write_idmaps(&s, child) < 0)
        goto err;
    if (sync_to_init(syncfd, SYNC_GO) < 0)
        goto err;
    /* The init mounts its rootfs meanwhile and waits for SYNC_CGROUP only
     * where it needs its cgroups: before a cgroupfs mount or its cgroup
     * namespace, and before pivot_root at the latest. It joins the v1
     * hierarchies itself; in a new user namespace it cannot write the host's
     * cgroupfs, so we join it. */
    if (cg_apply(&s, o->id, false) < 0 || (userns && cg_join(&s, o->id, child) < 0))
        goto err;
    if (sync_to_init(syncfd, SYNC_CGROUP) < 0)
        goto err;
    trace("cgroups created");
    /* More work that overlaps the init's: verify the device program
     * (attached after READY below), keep the config for the later verbs
     * (kill, exec), so a changed bundle cannot alter them, and prepare the
     * state, which appears under its name only once the init is ready. */
    if (cg_prepare_devices(&s) < 0)
        goto err;
    if (write_file_at(dirfd, "config.json", cfgtxt, cfglen, O_CREAT | O_TRUNC) < 0)
        goto err;
    struct cstate st = {.pid = child, .start = proc_start_time(child), .annotations = s.annotations_json};
    snprintf(st.id, sizeof(st.id), "%s", o->id);
    snprintf(st.bundle, sizeof(st.bundle), "%s", bundle);
    snprintf(st.rootfs, sizeof(st.rootfs), "%s", s.root_path);
    snprintf(st.cgroups_path, sizeof(st.cgroups_path), "%s", s.cgroups_path ? s.cgroups_path : "");
    now_rfc3339(st.created, sizeof(st.created));
    if (state_prepare(dirfd, &st) < 0)
        goto err;
    if (wait_child_ready(syncfd, SYNC_READY) < 0 || cg_apply_devices(&s, o->id) < 0)
        goto err;
    if (helper)
        waitpid(helper, NULL, 0);
    trace("ready");
    if (state_commit(dirfd) < 0 || write_pid_file(o->pid_file, child) < 0)
        goto err;
    trace("state written");
    if (init_pid)
        *init_pid = child;
    return 0;
err:;
    struct lerr saved = g_err;
    if (child > 0)
        kill(child, SIGKILL);
    struct cstate dead = {.pid = 0};
    snprintf(dead.id, sizeof(dead.id), "%s", o->id);
    destroy_container(&dead, &s);
    g_err = saved;
    return -1;
}

int cmd_run(struct create_opts *o, bool detach)
{
    pid_t pid;
    /* the init's helper parent exits: make the init reparent to us */
    if (!detach && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        return FAILSYS("prctl subreaper", NULL);
    if (cmd_create(o, &pid) < 0)
        return -1;
    if (cmd_start(o->id) < 0)
        return -1;
    if (detach)
        return 0;
    int status = 0, code = 0;
    for (;;) {
        pid_t w = waitpid(-1, &status, 0);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        if (w == pid) {
            code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
    }
    cmd_delete(o->id, true);
    return code;
}
