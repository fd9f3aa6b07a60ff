/* Device nodes inside the rootfs: defaults, linux.devices, /dev links. */
#include "rootfs.h"
#include "mounts.h"
#include <sys/stat.h>
#include <sys/sysmacros.h>

static const struct {
    const char *name;
    unsigned maj, min;
} dflt[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* In a user namespace mknod is refused: bind the host node instead. */
static int make_node(int dirfd, const char *name, mode_t type, dev_t dev, mode_t mode, bool userns, const char *host)
{
    if (!userns) {
        if (mknodat(dirfd, name, type | mode, dev) < 0 && errno != EEXIST)
            return FAILSYS("mknod", name);
        return 0;
    }
    int f = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0)
        return errno == EEXIST ? 0 : FAILSYS("create", name);
    close(f);
    _cleanup_fd_ int src = open(host, O_PATH | O_CLOEXEC);
    _cleanup_fd_ int dst = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (src < 0 || dst < 0)
        return FAILSYS("open", host);
    return bind_at(src, dst, false, 0);
}

int devices_create(const struct spec *s, int rootfd, bool userns)
{
    _cleanup_fd_ int dev = resolve_in_root(rootfd, "/dev", CREATE_DIR);
    if (dev < 0)
        return -1;
    for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++) {
        char host[32];
        snprintf(host, sizeof(host), "/dev/%s", dflt[i].name);
        if (make_node(dev, dflt[i].name, S_IFCHR, makedev(dflt[i].maj, dflt[i].min), 0666, userns, host) < 0)
            return -1;
    }
    static const struct {
        const char *target, *name;
    } links[] = {
        {"/proc/self/fd", "fd"},
        {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},
    };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        if (symlinkat(links[i].target, dev, links[i].name) < 0 && errno != EEXIST)
            return FAILSYS("symlink", links[i].name);
    /* /dev/ptmx must lead to this container's devpts instance */
    struct stat st;
    if (fstatat(dev, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
        unlinkat(dev, "ptmx", 0);
        if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
            return FAILSYS("symlink", "ptmx");
    }
    for (size_t i = 0; i < s->ndevices; i++) {
        const struct device_spec *d = &s->devices[i];
        char dir[4096], base[256];
        snprintf(dir, sizeof(dir), "%s", d->path);
        char *slash = strrchr(dir, '/');
        snprintf(base, sizeof(base), "%s", slash + 1);
        *slash = 0;
        if (!base[0] || !strcmp(base, "..") || !strcmp(base, "."))
            return fail(EINVAL, "device", d->path, "invalid device path");
        _cleanup_fd_ int pfd = resolve_in_root(rootfd, dir[0] ? dir : "/", CREATE_DIR);
        if (pfd < 0)
            return -1;
        mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
        mode_t mode = d->has_mode ? d->mode & 07777 : 0666;
        if (make_node(pfd, base, type, makedev(d->major, d->minor), mode, userns, d->path) < 0)
            return -1;
        if (!userns && fchownat(pfd, base, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, AT_SYMLINK_NOFOLLOW) < 0)
            return FAILSYS("chown", d->path);
    }
    return 0;
}
