/* Process identity and environment: user/groups, rlimits, cwd, executable lookup. */
#include "process.h"
#include <grp.h>
#include <linux/openat2.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int user_apply(const struct process_spec *p)
{
    /* keep permitted caps across the uid change; caps_apply sets the final sets */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return FAILSYS("prctl keepcaps", NULL);
    if (setgroups(p->ngids, p->gids) < 0 && !(errno == EPERM && p->ngids == 0))
        return FAILSYS("setgroups", NULL);
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return fail(errno, "setresgid", NULL, "gid %u", p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return fail(errno, "setresuid", NULL, "uid %u", p->uid);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return FAILSYS("prctl keepcaps", NULL);
    umask(p->has_umask ? p->umask : 022);
    return 0;
}

int rlimits_apply(const struct process_spec *p)
{
    for (size_t i = 0; i < p->nrlimits; i++) {
        struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
        if (setrlimit(p->rlimits[i].resource, &rl) < 0)
            return fail(errno, "setrlimit", NULL, "resource %d", p->rlimits[i].resource);
    }
    return 0;
}

/* cwd is resolved with the container root as "/" so symlinks cannot lead out
 * of it, and the result must be a directory (CVE-2024-21626: a cwd such as
 * /proc/self/fd/N must not reach a leaked host directory). */
int chdir_in_root(const char *cwd)
{
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, cwd, &how, sizeof(how));
    if (fd < 0 && errno == ENOENT) {
        /* runc creates a missing cwd */
        if (mkdir(cwd, 0755) == 0)
            fd = (int)syscall(SYS_openat2, AT_FDCWD, cwd, &how, sizeof(how));
    }
    if (fd < 0)
        return fail(errno, "chdir", cwd, "cwd must be a directory inside the container");
    int r = fchdir(fd);
    close(fd);
    return r < 0 ? FAILSYS("fchdir", cwd) : 0;
}

static const char *env_get(char **env, const char *k)
{
    size_t l = strlen(k);
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], k, l) == 0 && env[i][l] == '=')
            return env[i] + l + 1;
    return NULL;
}

/* The container's PATH (not ours) decides which binary runs. */
int find_executable(const struct process_spec *p, char *out, size_t len)
{
    const char *a0 = p->args[0];
    if (strchr(a0, '/')) {
        /* As runc's LookPath: a missing program fails `create` with its name, not the process after `start` */
        struct stat st;
        snprintf(out, len, "%s", a0);
        if (stat(out, &st) < 0)
            return fail(errno, "exec", a0, NULL);
        if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
            return fail(EACCES, "exec", a0, "not an executable file");
        return 0;
    }
    const char *path = env_get(p->env, "PATH");
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        struct stat st;
        snprintf(out, len, "%s/%s", *d ? d : ".", a0);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
            return 0;
    }
    return fail(ENOENT, "exec", a0, "executable file not found in $PATH");
}
