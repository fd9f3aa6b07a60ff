/* config.json parsing (json-c). The only file that knows the JSON layout. */
#include "spec.h"
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>

#include "spec_json.h"

static const char *const capnames[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};
#define NCAPNAMES (int)(sizeof(capnames) / sizeof(capnames[0]))
int cap_from_name(const char *name)
{
    if (strncasecmp(name, "CAP_", 4) == 0)
        name += 4;
    for (int i = 0; i < NCAPNAMES; i++)
        if (strcasecmp(name, capnames[i]) == 0)
            return i;
    return -1;
}
const char *cap_name(int cap)
{
    return cap >= 0 && cap < NCAPNAMES ? capnames[cap] : "?";
}
int cap_last(void)
{
    char buf[16] = {0};
    if (read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", buf, sizeof(buf) - 1) > 0)
        return atoi(buf);
    return NCAPNAMES - 1;
}

static uint64_t capset_mask(json_object *a)
{
    uint64_t m = 0;
    for (size_t i = 0; i < alen(a); i++) {
        const char *n = json_object_get_string(json_object_array_get_idx(a, i));
        int c = cap_from_name(n);
        if (c < 0)
            log_warn("ignoring unknown capability %s", n);
        else
            m |= 1ULL << c;
    }
    return m;
}

static const struct {
    const char *name;
    int res;
} rlim_names[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static int parse_process(json_object *p, struct process_spec *out)
{
    memset(out, 0, sizeof(*out));
    if (!p)
        return fail(0, "spec", NULL, "process is missing");
    out->args = strv(get(p, "args"), NULL);
    if (!out->args || !out->args[0])
        return fail(0, "spec", NULL, "process.args must not be empty");
    out->env = strv(get(p, "env"), NULL);
    out->cwd = str(p, "cwd");
    if (!out->cwd)
        out->cwd = strdup("/");
    if (out->cwd[0] != '/')
        return fail(0, "spec", out->cwd, "process.cwd must be absolute");
    json_object *u = get(p, "user");
    out->uid = (uid_t)i64(u, "uid", 0);
    out->gid = (gid_t)i64(u, "gid", 0);
    json_object *ag = get(u, "additionalGids");
    out->ngids = alen(ag);
    out->gids = calloc(out->ngids + 1, sizeof(gid_t));
    for (size_t i = 0; i < out->ngids; i++)
        out->gids[i] = (gid_t)json_object_get_int64(json_object_array_get_idx(ag, i));
    if (get(u, "umask")) {
        out->has_umask = true;
        out->umask = (mode_t)i64(u, "umask", 022) & 0777;
    }
    json_object *c = get(p, "capabilities");
    if (c) {
        static const char *const sets[NCAPSETS] = {"bounding", "effective", "permitted", "inheritable", "ambient"};
        out->has_caps = true;
        for (int i = 0; i < NCAPSETS; i++)
            out->caps[i] = capset_mask(get(c, sets[i]));
    }
    json_object *rl = get(p, "rlimits");
    out->nrlimits = alen(rl);
    out->rlimits = calloc(out->nrlimits + 1, sizeof(*out->rlimits));
    for (size_t i = 0; i < out->nrlimits; i++) {
        json_object *r = json_object_array_get_idx(rl, i);
        _cleanup_free_ char *t = str(r, "type");
        int res = -1;
        for (size_t k = 0; t && k < sizeof(rlim_names) / sizeof(rlim_names[0]); k++)
            if (strcmp(t, rlim_names[k].name) == 0)
                res = rlim_names[k].res;
        if (res < 0)
            return fail(0, "spec", NULL, "unknown rlimit %s", t ? t : "(null)");
        out->rlimits[i].resource = res;
        out->rlimits[i].soft = u64(get(r, "soft"));
        out->rlimits[i].hard = u64(get(r, "hard"));
    }
    out->nnp = boolean(p, "noNewPrivileges");
    if (get(p, "oomScoreAdj")) {
        out->has_oom = true;
        out->oom_score_adj = (int)i64(p, "oomScoreAdj", 0);
    }
    out->terminal = boolean(p, "terminal");
    return 0;
}

static const struct {
    const char *name;
    bool clear;
    unsigned long flag;
} mntopts[] = {
    {"ro", false, MS_RDONLY},
    /* recursive read-only: bind mounts get their flags with AT_RECURSIVE when rbind (see parse_mount) */
    {"rro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
};
static const struct {
    const char *name;
    unsigned long flag;
} propopts[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static unsigned long prop_flag(const char *o)
{
    for (size_t k = 0; k < sizeof(propopts) / sizeof(propopts[0]); k++)
        if (strcmp(o, propopts[k].name) == 0)
            return propopts[k].flag;
    return 0;
}

static int parse_mount(json_object *m, struct mount_spec *out)
{
    memset(out, 0, sizeof(*out));
    out->dest = str(m, "destination");
    out->type = str(m, "type");
    out->source = str(m, "source");
    if (!out->dest || out->dest[0] != '/')
        return fail(0, "spec", out->dest, "mount destination must be absolute");
    if (!out->type)
        out->type = strdup("none");
    json_object *opts = get(m, "options");
    size_t cap = 1;
    out->data = calloc(1, 1);
    for (size_t i = 0; i < alen(opts); i++) {
        const char *o = json_object_get_string(json_object_array_get_idx(opts, i));
        bool known = false;
        if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
            out->bind = true;
            out->rec = o[0] == 'r';
            continue;
        }
        for (size_t k = 0; k < sizeof(mntopts) / sizeof(mntopts[0]); k++) {
            if (strcmp(o, mntopts[k].name) == 0) {
                known = true;
                if (mntopts[k].clear)
                    out->flags &= ~mntopts[k].flag;
                else
                    out->flags |= mntopts[k].flag;
            }
        }
        if (!known && prop_flag(o)) {
            out->propagation = prop_flag(o);
            known = true;
        }
        if (!known) {
            size_t l = strlen(out->data), ol = strlen(o);
            cap = l + ol + 2;
            out->data = realloc(out->data, cap);
            if (l)
                strcat(out->data, ",");
            strcat(out->data, o);
        }
    }
    if (strcmp(out->type, "bind") == 0)
        out->bind = true;
    for (size_t i = 0; i < alen(opts); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(opts, i)), "rro") == 0 && !(out->bind && out->rec))
            return fail(EINVAL, "spec", out->dest, "rro needs an rbind mount");
    return 0;
}

static const struct {
    const char *name;
    int flag;
} nsnames[] = {
    {"mount", CLONE_NEWNS},    {"uts", CLONE_NEWUTS},       {"ipc", CLONE_NEWIPC},   {"pid", CLONE_NEWPID},
    {"network", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER},
};

static int parse_idmaps(json_object *a, struct idmap **out, size_t *n)
{
    *n = alen(a);
    *out = calloc(*n + 1, sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        json_object *m = json_object_array_get_idx(a, i);
        (*out)[i].inner = (uint32_t)i64(m, "containerID", 0);
        (*out)[i].outer = (uint32_t)i64(m, "hostID", 0);
        (*out)[i].size = (uint32_t)i64(m, "size", 0);
    }
    return 0;
}

static int parse_linux(json_object *l, struct spec *s)
{
    json_object *ns = get(l, "namespaces");
    s->nns = alen(ns);
    s->ns = calloc(s->nns + 1, sizeof(*s->ns));
    for (size_t i = 0; i < s->nns; i++) {
        json_object *e = json_object_array_get_idx(ns, i);
        _cleanup_free_ char *t = str(e, "type");
        for (size_t k = 0; t && k < sizeof(nsnames) / sizeof(nsnames[0]); k++)
            if (strcmp(t, nsnames[k].name) == 0)
                s->ns[i].type = nsnames[k].flag;
        if (!s->ns[i].type)
            return fail(0, "spec", NULL, "unsupported namespace type %s", t ? t : "(null)");
        s->ns[i].path = str(e, "path");
        if (s->ns[i].path && !*s->ns[i].path) {
            free(s->ns[i].path);
            s->ns[i].path = NULL;
        }
    }
    parse_idmaps(get(l, "uidMappings"), &s->uidmap, &s->nuidmap);
    parse_idmaps(get(l, "gidMappings"), &s->gidmap, &s->ngidmap);
    s->cgroups_path = str(l, "cgroupsPath");
    parse_resources(get(l, "resources"), &s->res);
    json_object *d = get(l, "devices");
    s->ndevices = alen(d);
    s->devices = calloc(s->ndevices + 1, sizeof(*s->devices));
    for (size_t i = 0; i < s->ndevices; i++) {
        json_object *e = json_object_array_get_idx(d, i);
        struct device_spec *dv = &s->devices[i];
        _cleanup_free_ char *t = str(e, "type");
        dv->path = str(e, "path");
        if (!dv->path || dv->path[0] != '/' || !t)
            return fail(0, "spec", dv->path, "linux.devices entry needs an absolute path and a type");
        dv->type = t[0];
        dv->major = i64(e, "major", 0);
        dv->minor = i64(e, "minor", 0);
        if ((dv->has_mode = get(e, "fileMode") != NULL))
            dv->mode = (mode_t)i64(e, "fileMode", 0666);
        if ((dv->has_uid = get(e, "uid") != NULL))
            dv->uid = (uid_t)i64(e, "uid", 0);
        if ((dv->has_gid = get(e, "gid") != NULL))
            dv->gid = (gid_t)i64(e, "gid", 0);
    }
    s->masked = strv(get(l, "maskedPaths"), &s->nmasked);
    s->readonly = strv(get(l, "readonlyPaths"), &s->nreadonly);
    _cleanup_free_ char *prop = str(l, "rootfsPropagation");
    if (prop && *prop && !(s->rootfs_propagation = prop_flag(prop)))
        return fail(0, "spec", NULL, "invalid rootfsPropagation %s", prop);
    json_object *sys = get(l, "sysctl");
    if (sys && json_object_is_type(sys, json_type_object)) {
        s->sysctl = calloc(json_object_object_length(sys) + 1, sizeof(struct kv));
        json_object_object_foreach(sys, k, v)
        {
            s->sysctl[s->nsysctl].key = strdup(k);
            s->sysctl[s->nsysctl++].value = strdup(json_object_get_string(v));
        }
    }
    json_object *sc = get(l, "seccomp");
    if (sc) {
        s->seccomp = calloc(1, sizeof(*s->seccomp));
        parse_seccomp(sc, s->seccomp);
    }
    return 0;
}

int spec_parse(const char *text, const char *config_path, const char *bundle, struct spec *s)
{
    memset(s, 0, sizeof(*s));
    enum json_tokener_error jerr = json_tokener_success;
    json_object *root = json_tokener_parse_verbose(text, &jerr);
    if (!root)
        return fail(EINVAL, "parse", config_path, "cannot parse config.json: %s",
                    jerr != json_tokener_success ? json_tokener_error_desc(jerr) : "not a JSON object");
    json_object *rt = get(root, "root");
    _cleanup_free_ char *rp = str(rt, "path");
    int r = parse_process(get(root, "process"), &s->proc);
    if (r < 0)
        goto out;
    if (!rp) {
        r = fail(0, "spec", NULL, "root.path is missing");
        goto out;
    }
    if (rp[0] == '/')
        s->root_path = strdup(rp);
    else
        xasprintf(&s->root_path, "%s/%s", bundle, rp);
    s->root_readonly = boolean(rt, "readonly");
    s->hostname = str(root, "hostname");
    s->domainname = str(root, "domainname");
    json_object *m = get(root, "mounts");
    s->nmounts = alen(m);
    s->mounts = calloc(s->nmounts + 1, sizeof(*s->mounts));
    for (size_t i = 0; i < s->nmounts && r == 0; i++)
        r = parse_mount(json_object_array_get_idx(m, i), &s->mounts[i]);
    if (r == 0)
        r = parse_linux(get(root, "linux"), s);
    json_object *an = get(root, "annotations");
    s->annotations_json = strdup(an ? json_object_to_json_string_ext(an, JSON_C_TO_STRING_PLAIN) : "{}");
out:
    json_object_put(root);
    return r;
}

int spec_load_file(const char *config_path, const char *bundle, struct spec *s)
{
    size_t len;
    _cleanup_free_ char *text = read_whole_file(config_path, &len);
    if (!text) {
        memset(s, 0, sizeof(*s));
        return -1;
    }
    return spec_parse(text, config_path, bundle, s);
}

int spec_load(const char *bundle, struct spec *s)
{
    _cleanup_free_ char *p = NULL;
    xasprintf(&p, "%s/config.json", bundle);
    return spec_load_file(p, bundle, s);
}

int spec_load_process(const char *path, struct process_spec *p)
{
    json_object *root = json_object_from_file(path);
    if (!root)
        return fail(errno ? errno : EINVAL, "parse", path, "cannot parse process.json");
    int r = parse_process(root, p);
    json_object_put(root);
    return r;
}

const struct ns_spec *spec_ns(const struct spec *s, int type)
{
    for (size_t i = 0; i < s->nns; i++)
        if (s->ns[i].type == type)
            return &s->ns[i];
    return NULL;
}
