/* delete: remove a stopped (or, with --force, any) container's processes, cgroups and state. */
#include "verbs.h"
#include "cgroup.h"
#include <signal.h>

int kill_all(const struct spec *s, const char *id, int sig);

/* the config as create applied it, saved beside the state */
static int load_saved_spec(const char *id, const struct cstate *st, struct spec *s)
{
    char cfg[4096];
    if (state_path(id, "config.json", cfg, sizeof(cfg)) < 0)
        return -1;
    return spec_load_file(cfg, st->bundle, s);
}

int load_container(const char *id, struct cstate *st, struct spec *s)
{
    if (state_read(id, st) < 0)
        return -1;
    return load_saved_spec(id, st, s);
}

int destroy_container(const struct cstate *st, const struct spec *s)
{
    int r = 0;
    /* SIGKILL until the cgroup is empty (processes may fork while we kill) */
    for (int i = 0; i < 400; i++) {
        pid_t *pids;
        size_t n;
        if (cg_read_pids(s, st->id, &pids, &n) < 0 || n == 0) {
            free(pids);
            break;
        }
        for (size_t k = 0; k < n; k++)
            kill(pids[k], SIGKILL);
        free(pids);
        usleep(i < 20 ? 1000 : 10000);
    }
    trace("cgroup empty");
    if (cg_destroy(s, st->id) < 0)
        r = -1;
    trace("cgroups removed");
    struct lerr saved = g_err;
    if (state_remove(st->id) < 0)
        r = -1;
    else if (r < 0)
        g_err = saved;
    trace("state removed");
    return r;
}

/* delete needs only the cgroup path from the spec: taken from the state when
 * it records one, which saves reading and parsing config.json */
static int load_for_delete(const char *id, struct cstate *st, struct spec *s)
{
    if (state_read(id, st) < 0)
        return -1;
    if (!st->has_cgroups_path)
        return load_saved_spec(id, st, s);
    memset(s, 0, sizeof(*s));
    s->cgroups_path = st->cgroups_path;
    return 0;
}

int cmd_delete(const char *id, bool force)
{
    struct cstate st;
    struct spec s;
    if (load_for_delete(id, &st, &s) < 0) {
        if (g_err.err == ENOENT) {
            /* an aborted create may leave a directory without state.json */
            state_remove(id);
            return force ? 0 : -1;
        }
        return -1;
    }
    trace("state loaded");
    const char *status = state_status(&st);
    if (!strcmp(status, "running") && !force)
        return fail(EBUSY, "delete", id, "cannot delete a running container without --force");
    if (strcmp(status, "stopped") != 0)
        kill(st.pid, SIGKILL);
    return destroy_container(&st, &s);
}
