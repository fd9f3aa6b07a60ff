/* Mount helpers on the new mount API: every target is an fd resolved inside
 * the rootfs, so no path is ever re-resolved through a container symlink
 * (CVE-2021-30465, CVE-2024-45310) and no procfs magic link is needed. */
#include "mounts.h"
#include "cgroup.h"
#include <libgen.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static int openat2_in(int dirfd, const char *p, int flags, uint64_t resolve)
{
    struct open_how how = {.flags = (uint64_t)flags, .resolve = resolve};
    return (int)syscall(SYS_openat2, dirfd, p, &how, sizeof(how));
}
#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* Walk the path component by component, creating what is missing. A symlink
 * met on the way is expanded by hand against the container root (as
 * securejoin does), so a dangling link to "/host/dir" creates
 * <rootfs>/host/dir, never /host/dir. Every lookup is RESOLVE_IN_ROOT and
 * every create is a single name relative to an in-root parent fd. */
int resolve_in_root(int rootfd, const char *path, int create)
{
    int fd = openat2_in(rootfd, path, O_PATH | O_CLOEXEC, IN_ROOT);
    if (fd >= 0 || errno != ENOENT || create == RESOLVE_ONLY)
        return fd >= 0 ? fd : fail(errno, "resolve", path, "inside rootfs");
    char cur[4096];
    snprintf(cur, sizeof(cur), "%s", path);
    for (int links = 0; links < 40; links++) {
        char buf[4096], prefix[4096] = "";
        bool restarted = false;
        snprintf(buf, sizeof(buf), "%s", cur);
        _cleanup_fd_ int parent = openat2_in(rootfd, "/", O_PATH | O_CLOEXEC, IN_ROOT);
        char *save = NULL, *comp = strtok_r(buf, "/", &save);
        while (comp && !restarted) {
            char *next = strtok_r(NULL, "/", &save);
            char dir[4096];
            snprintf(dir, sizeof(dir), "%s", prefix[0] ? prefix : "/");
            size_t l = strlen(prefix);
            snprintf(prefix + l, sizeof(prefix) - l, "/%s", comp);
            int c = openat2_in(rootfd, prefix, O_PATH | O_NOFOLLOW | O_CLOEXEC, IN_ROOT);
            if (c < 0 && errno == ENOENT) {
                if (!next && create == CREATE_FILE) {
                    int f = openat(parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                    if (f < 0 && errno != EEXIST)
                        return FAILSYS("create", prefix);
                    if (f >= 0)
                        close(f);
                } else if (mkdirat(parent, comp, 0755) < 0 && errno != EEXIST) {
                    return FAILSYS("mkdir", prefix);
                }
                c = openat2_in(rootfd, prefix, O_PATH | O_NOFOLLOW | O_CLOEXEC, IN_ROOT);
            }
            if (c < 0)
                return fail(errno, "resolve", prefix, "inside rootfs");
            struct stat st;
            if (fstat(c, &st) == 0 && S_ISLNK(st.st_mode)) {
                char target[4096], rest[4096] = "";
                ssize_t n = readlinkat(c, "", target, sizeof(target) - 1);
                close(c);
                if (n < 0)
                    return FAILSYS("readlink", prefix);
                target[n] = 0;
                for (char *r = next; r; r = strtok_r(NULL, "/", &save)) {
                    size_t rl = strlen(rest);
                    snprintf(rest + rl, sizeof(rest) - rl, "/%s", r);
                }
                if (target[0] == '/')
                    snprintf(cur, sizeof(cur), "%s%s", target, rest);
                else
                    snprintf(cur, sizeof(cur), "%s/%s%s", dir, target, rest);
                restarted = true;
                break;
            }
            close(parent);
            parent = c;
            comp = next;
        }
        if (!restarted)
            return take_fd(&parent);
    }
    return fail(ELOOP, "resolve", path, "too many symlinks");
}

static uint64_t ms_to_attr(unsigned long f)
{
    uint64_t a = 0;
    if (f & MS_RDONLY)
        a |= MOUNT_ATTR_RDONLY;
    if (f & MS_NOSUID)
        a |= MOUNT_ATTR_NOSUID;
    if (f & MS_NODEV)
        a |= MOUNT_ATTR_NODEV;
    if (f & MS_NOEXEC)
        a |= MOUNT_ATTR_NOEXEC;
    if (f & MS_NODIRATIME)
        a |= MOUNT_ATTR_NODIRATIME;
    if (f & MS_NOATIME)
        a |= MOUNT_ATTR_NOATIME;
    else if (f & MS_STRICTATIME)
        a |= MOUNT_ATTR_STRICTATIME;
    else if (f & MS_RELATIME)
        a |= MOUNT_ATTR_RELATIME;
    return a;
}

int fs_new(const char *type, const char *source, const char *data, unsigned long msflags)
{
    _cleanup_fd_ int fs = fsopen(type, FSOPEN_CLOEXEC);
    if (fs < 0)
        return FAILSYS("fsopen", type);
    if (source && *source && fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
        return FAILSYS("fsconfig source", source);
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", data ? data : "");
    char *save = NULL;
    for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(o, '=');
        int r;
        if (eq) {
            *eq = 0;
            r = fsconfig(fs, FSCONFIG_SET_STRING, o, eq + 1, 0);
        } else {
            r = fsconfig(fs, FSCONFIG_SET_FLAG, o, NULL, 0);
        }
        if (r < 0)
            return fail(errno, "fsconfig", type, "option %s", o);
    }
    if (msflags & MS_SYNCHRONOUS)
        fsconfig(fs, FSCONFIG_SET_FLAG, "sync", NULL, 0);
    if (msflags & MS_DIRSYNC)
        fsconfig(fs, FSCONFIG_SET_FLAG, "dirsync", NULL, 0);
    if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return fail(errno, "fsconfig create", type, "%s", data ? data : "");
    int m = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)ms_to_attr(msflags));
    if (m < 0)
        return FAILSYS("fsmount", type);
    return m;
}

int attach_at(int treefd, int targetfd)
{
    if (move_mount(treefd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return FAILSYS("move_mount", NULL);
    return 0;
}

int set_attrs(int mntfd, unsigned long msflags, unsigned long propagation, bool rec)
{
    struct mount_attr a = {0};
    a.attr_set = ms_to_attr(msflags);
    if (a.attr_set & MOUNT_ATTR__ATIME)
        a.attr_clr |= MOUNT_ATTR__ATIME;
    a.propagation = propagation & ~(unsigned long)MS_REC;
    if (!a.attr_set && !a.propagation)
        return 0;
    unsigned fl = AT_EMPTY_PATH | ((rec || (propagation & MS_REC)) ? AT_RECURSIVE : 0);
    if (mount_setattr(mntfd, "", fl, &a, sizeof(a)) < 0)
        return FAILSYS("mount_setattr", NULL);
    return 0;
}

int bind_at(int srcfd, int targetfd, bool rec, unsigned long msflags)
{
    _cleanup_fd_ int t =
        open_tree(srcfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0));
    if (t < 0)
        return FAILSYS("open_tree", NULL);
    if (set_attrs(t, msflags, 0, rec) < 0)
        return -1;
    return attach_at(t, targetfd);
}

static int cgroup_mount(const struct spec *s, const struct mount_spec *m, int rootfd, const char *id)
{
    char cgp[4096];
    cg_path(s, id, cgp, sizeof(cgp));
    bool own_ns = spec_ns(s, CLONE_NEWCGROUP) != NULL;
    unsigned long fl = m->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    struct hier h[MAX_HIER];
    int n = cg_hierarchies(h, MAX_HIER);
    if (n < 0)
        return -1;
    _cleanup_fd_ int target = resolve_in_root(rootfd, m->dest, CREATE_DIR);
    if (target < 0)
        return -1;
    bool v2host = cg_is_v2_host();
    if (!v2host) {
        _cleanup_fd_ int tmp = fs_new("tmpfs", "tmpfs", "mode=755", fl & ~(unsigned long)MS_RDONLY);
        if (tmp < 0 || attach_at(tmp, target) < 0)
            return -1;
        close(target);
        target = resolve_in_root(rootfd, m->dest, RESOLVE_ONLY);
        if (target < 0)
            return -1;
    }
    for (int i = 0; i < n; i++) {
        _cleanup_fd_ int sub = -1, tree = -1;
        if (v2host) {
            sub = dup(target);
        } else {
            const char *name = strrchr(h[i].mnt, '/') + 1;
            if (mkdirat(target, name, 0755) < 0 && errno != EEXIST)
                return FAILSYS("mkdir", name);
            sub = openat(target, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (sub < 0)
            return FAILSYS("open", m->dest);
        if (own_ns) {
            /* in our cgroup namespace a fresh cgroupfs shows the container's own subtree */
            char opts[300];
            snprintf(opts, sizeof(opts), "%s", h[i].opts);
            tree = fs_new(h[i].v2 ? "cgroup2" : "cgroup", "cgroup", opts, fl);
            if (tree < 0 || attach_at(tree, sub) < 0)
                return -1;
        } else {
            char host[4700];
            snprintf(host, sizeof(host), "%s%s", h[i].mnt, cgp);
            _cleanup_fd_ int src = open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (src < 0)
                return FAILSYS("open", host);
            if (bind_at(src, sub, false, fl) < 0)
                return -1;
        }
        if (v2host)
            break;
    }
    if (!v2host && (m->flags & MS_RDONLY)) {
        close(target);
        target = resolve_in_root(rootfd, m->dest, RESOLVE_ONLY);
        if (target < 0 || set_attrs(target, MS_RDONLY, 0, false) < 0)
            return -1;
    }
    return 0;
}

int mount_spec_entry(const struct spec *s, const struct mount_spec *m, int rootfd, const char *id)
{
    if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
        return cgroup_mount(s, m, rootfd, id);
    _cleanup_fd_ int src = -1, tree = -1, target = -1;
    if (m->bind) {
        if (!m->source)
            return fail(EINVAL, "mount", m->dest, "bind mount without source");
        /* the source is a host path chosen by the daemon: host resolution is intended */
        src = open(m->source, O_PATH | O_CLOEXEC);
        if (src < 0)
            return FAILSYS("open bind source", m->source);
        struct stat st;
        if (fstat(src, &st) < 0)
            return FAILSYS("stat", m->source);
        target = resolve_in_root(rootfd, m->dest, S_ISDIR(st.st_mode) ? CREATE_DIR : CREATE_FILE);
        if (target < 0)
            return -1;
        if (bind_at(src, target, m->rec, m->flags) < 0)
            return fail(g_err.err, "bind mount", m->dest, "from %s", m->source);
    } else {
        target = resolve_in_root(rootfd, m->dest, CREATE_DIR);
        if (target < 0)
            return -1;
        tree = fs_new(m->type, m->source, m->data, m->flags);
        if (tree < 0)
            return fail(g_err.err, "mount", m->dest, "type %s: %s", m->type, g_err.msg);
        if (attach_at(tree, target) < 0)
            return fail(g_err.err, "mount", m->dest, "attach");
    }
    if (m->propagation) {
        _cleanup_fd_ int mnt = resolve_in_root(rootfd, m->dest, RESOLVE_ONLY);
        if (mnt < 0 || set_attrs(mnt, 0, m->propagation, false) < 0)
            return -1;
    }
    return 0;
}
