/* Container state under --root: <root>/<id>/{state.json,config.json,exec.fifo}. */
#include "state_store.h"
#include <dirent.h>
#include <json.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

int state_path(const char *id, const char *file, char *buf, size_t len)
{
    if (!valid_id(id))
        return fail(EINVAL, "state", id, "invalid container id");
    snprintf(buf, len, "%s/%s%s%s", g_opts.root, id, file ? "/" : "", file ? file : "");
    return 0;
}

int state_create_dir(const char *id)
{
    char dir[4096];
    if (state_path(id, NULL, dir, sizeof(dir)) < 0)
        return -1;
    if (mkdir_p(g_opts.root, 0711) < 0)
        return -1;
    if (mkdir(dir, 0711) < 0) {
        if (errno == EEXIST)
            return fail(EEXIST, "create", id, "container with id %s already exists", id);
        return FAILSYS("mkdir", dir);
    }
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return FAILSYS("open", dir);
    return fd;
}

/* Written while the init is still being set up; state_commit() publishes it
 * once the init is ready (a rename: atomic for concurrent readers). */
int state_prepare(int dirfd, const struct cstate *st)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(st->id));
    json_object_object_add(o, "pid", json_object_new_int(st->pid));
    json_object_object_add(o, "start", json_object_new_uint64(st->start));
    json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
    json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
    json_object_object_add(o, "created", json_object_new_string(st->created));
    json_object_object_add(o, "cgroupsPath", json_object_new_string(st->cgroups_path));
    json_object_object_add(o, "annotations", json_tokener_parse(st->annotations ? st->annotations : "{}"));
    const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    int r = write_file_at(dirfd, "state.json.tmp", txt, strlen(txt), O_CREAT | O_TRUNC);
    json_object_put(o);
    return r;
}

int state_commit(int dirfd)
{
    if (renameat(dirfd, "state.json.tmp", dirfd, "state.json") < 0)
        return FAILSYS("rename", "state.json");
    return 0;
}

int state_read(const char *id, struct cstate *st)
{
    char p[4096];
    memset(st, 0, sizeof(*st));
    if (state_path(id, "state.json", p, sizeof(p)) < 0)
        return -1;
    json_object *o = json_object_from_file(p);
    if (!o) {
        if (access(p, F_OK) < 0)
            return fail(ENOENT, "state", id, "container does not exist");
        return fail(EINVAL, "state", p, "corrupt state file");
    }
    json_object *v;
#define S(k, dst)                                                                                                      \
    if (json_object_object_get_ex(o, k, &v))                                                                           \
    snprintf(dst, sizeof(dst), "%s", json_object_get_string(v))
    S("id", st->id);
    S("bundle", st->bundle);
    S("rootfs", st->rootfs);
    S("created", st->created);
    /* absent in the state of an older launcher: the verbs then read config.json */
    st->has_cgroups_path = json_object_object_get_ex(o, "cgroupsPath", &v);
    S("cgroupsPath", st->cgroups_path);
#undef S
    if (json_object_object_get_ex(o, "pid", &v))
        st->pid = json_object_get_int(v);
    if (json_object_object_get_ex(o, "start", &v))
        st->start = json_object_get_uint64(v);
    if (json_object_object_get_ex(o, "annotations", &v))
        st->annotations = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return 0;
}

/* Liveness compares the recorded start time so a recycled pid is not mistaken for the container. */
bool state_alive(const struct cstate *st)
{
    return st->pid > 0 && st->start && proc_start_time(st->pid) == st->start;
}

const char *state_status(const struct cstate *st)
{
    if (!state_alive(st))
        return "stopped";
    char p[4096];
    if (state_path(st->id, "exec.fifo", p, sizeof(p)) == 0 && access(p, F_OK) == 0)
        return "created";
    return "running";
}

int state_remove(const char *id)
{
    char dir[4096];
    if (state_path(id, NULL, dir, sizeof(dir)) < 0)
        return -1;
    static const char *const files[] = {"state.json", "state.json.tmp", "config.json", "exec.fifo", NULL};
    _cleanup_fd_ int dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0 : FAILSYS("open", dir);
    for (int i = 0; files[i]; i++)
        unlinkat(dfd, files[i], 0);
    if (rmdir(dir) < 0 && errno != ENOENT)
        return FAILSYS("rmdir", dir);
    return 0;
}

void now_rfc3339(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char b[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%09ldZ", b, ts.tv_nsec);
}
