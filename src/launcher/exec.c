/* exec: run a new process in a running container's namespaces and cgroup. */
#include "verbs.h"
#include "namespaces.h"
#include "process.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

int wait_child_ready(int syncfd, int want);

static void env_set(char ***envp, const char *kv)
{
    size_t n = 0, kl = strcspn(kv, "=");
    char **e = *envp;
    for (; e && e[n]; n++)
        if (!strncmp(e[n], kv, kl) && e[n][kl] == '=') {
            e[n] = strdup(kv);
            return;
        }
    e = realloc(e, (n + 2) * sizeof(char *));
    e[n] = strdup(kv);
    e[n + 1] = NULL;
    *envp = e;
}

static pid_t child_pid;
static void forward(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

pid_t exec_spawn(const struct spec *s, const char *id, int consfd, int preserve, int *psync, pid_t target);

int cmd_exec(struct exec_opts *o)
{
    struct cstate st;
    struct spec s;
    if (load_container(o->id, &st, &s) < 0)
        return -1;
    const char *status = state_status(&st);
    if (!strcmp(status, "stopped"))
        return fail(EINVAL, "exec", o->id, "cannot exec in a stopped container");
    if (o->process) {
        /* process.json replaces the container's process, like runc */
        if (spec_load_process(o->process, &s.proc) < 0)
            return -1;
    } else {
        if (!o->args || !o->args[0])
            return fail(EINVAL, "exec", o->id, "no command given");
        s.proc.args = o->args;
        s.proc.terminal = false;
    }
    if (o->tty_set)
        s.proc.terminal = o->tty;
    if (o->cwd)
        s.proc.cwd = (char *)o->cwd;
    for (size_t i = 0; i < o->nenv; i++)
        env_set(&s.proc.env, o->env[i]);
    if (o->user) {
        unsigned u, g;
        int n = sscanf(o->user, "%u:%u", &u, &g);
        if (n < 1)
            return fail(EINVAL, "exec", o->user, "--user must be UID[:GID]");
        s.proc.uid = u;
        if (n == 2)
            s.proc.gid = g;
    }
    _cleanup_fd_ int consfd = -1, syncfd = -1;
    if (o->console_socket && (consfd = console_connect(o->console_socket)) < 0)
        return -1;
    if (!o->detach && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        return FAILSYS("prctl subreaper", NULL);
    pid_t pid = exec_spawn(&s, o->id, consfd, o->preserve_fds, &syncfd, st.pid);
    if (pid < 0)
        return -1;
    child_pid = pid;
    if (wait_child_ready(syncfd, 0) < 0)
        return -1;
    if (write_pid_file(o->pid_file, pid) < 0)
        return -1;
    if (o->detach)
        return 0;
    signal(SIGINT, forward);
    signal(SIGTERM, forward);
    signal(SIGHUP, forward);
    for (;;) {
        int status;
        pid_t w = waitpid(-1, &status, 0);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return fail(errno, "wait", o->id, NULL);
        if (w == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
}
