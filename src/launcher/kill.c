/* kill: signal the init, or with --all every process in the cgroup. */
#include "verbs.h"
#include "cgroup.h"
#include <signal.h>
#include <sys/syscall.h>

static int parse_signal(const char *s)
{
    static const struct {
        const char *n;
        int v;
    } t[] = {
        {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},   {"TERM", SIGTERM},
        {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"STOP", SIGSTOP}, {"CONT", SIGCONT},   {"ALRM", SIGALRM},
        {"CHLD", SIGCHLD}, {"PIPE", SIGPIPE}, {"ABRT", SIGABRT}, {"WINCH", SIGWINCH}, {"TSTP", SIGTSTP},
        {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"PWR", SIGPWR},     {"SYS", SIGSYS},
    };
    if (!s)
        return SIGTERM;
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && !*end)
        return n > 0 && n < 65 ? (int)n : -1;
    if (!strncasecmp(s, "SIG", 3))
        s += 3;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcasecmp(s, t[i].n))
            return t[i].v;
    return -1;
}

/* pidfd pins the process: the start-time check and the signal hit the same one */
static int signal_init(const struct cstate *st, int sig)
{
    _cleanup_fd_ int pfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
    if (pfd < 0 || !state_alive(st))
        return fail(ESRCH, "kill", st->id, "container is not running");
    if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
        return FAILSYS("kill", st->id);
    return 0;
}

int kill_all(const struct spec *s, const char *id, int sig)
{
    pid_t *pids;
    size_t n;
    if (cg_read_pids(s, id, &pids, &n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        kill(pids[i], sig);
    free(pids);
    return 0;
}

int cmd_kill(const char *id, const char *sigtxt, bool all)
{
    struct cstate st;
    struct spec s;
    int sig = parse_signal(sigtxt);
    if (sig < 0)
        return fail(EINVAL, "kill", sigtxt, "invalid signal");
    if (load_container(id, &st, &s) < 0)
        return -1;
    if (all) {
        if (!state_alive(&st) && sig != SIGKILL)
            return fail(ESRCH, "kill", id, "container is not running");
        return kill_all(&s, id, sig);
    }
    return signal_init(&st, sig);
}
