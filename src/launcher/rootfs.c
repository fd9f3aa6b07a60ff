/* Root filesystem: preparation, pivot_root, masked/readonly paths. */
#include "rootfs.h"
#include "mounts.h"
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

int open_verified_devnull(void)
{
    int fd = open("/dev/null", O_PATH | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0)
        return FAILSYS("open", "/dev/null");
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
        close(fd);
        return fail(EPERM, "verify", "/dev/null", "not the 1:3 character device; refusing to mask with it");
    }
    return fd;
}

static bool has_mount(const struct spec *s, const char *dest)
{
    for (size_t i = 0; i < s->nmounts; i++)
        if (strcmp(s->mounts[i].dest, dest) == 0)
            return true;
    return false;
}

int rootfs_prepare(const struct spec *s, const char *id, bool userns, int (*cgroup_ready)(void))
{
    /* Nothing we mount may propagate back to the host. */
    unsigned long prop = s->rootfs_propagation == (MS_PRIVATE | MS_REC) ? MS_PRIVATE : MS_SLAVE;
    if (mount(NULL, "/", NULL, MS_REC | prop, NULL) < 0)
        return FAILSYS("make / rslave", NULL);
    /* pivot_root needs the new root to be a mount point */
    if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return FAILSYS("bind rootfs", s->root_path);
    _cleanup_fd_ int rootfd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return FAILSYS("open rootfs", s->root_path);
    for (size_t i = 0; i < s->nmounts; i++) {
        const char *t = s->mounts[i].type;
        if ((!strcmp(t, "cgroup") || !strcmp(t, "cgroup2")) && cgroup_ready() < 0)
            return -1;
        if (mount_spec_entry(s, &s->mounts[i], rootfd, id) < 0)
            return -1;
    }
    /* default /dev/pts and /dev/shm when the spec leaves them out */
    if (!has_mount(s, "/dev/pts")) {
        struct mount_spec m = {.dest = "/dev/pts",
                               .type = "devpts",
                               .source = "devpts",
                               .data = "newinstance,ptmxmode=0666,mode=0620",
                               .flags = MS_NOSUID | MS_NOEXEC};
        if (!userns)
            m.data = "newinstance,ptmxmode=0666,mode=0620,gid=5";
        if (mount_spec_entry(s, &m, rootfd, id) < 0)
            return -1;
    }
    if (!has_mount(s, "/dev/shm")) {
        struct mount_spec m = {.dest = "/dev/shm",
                               .type = "tmpfs",
                               .source = "shm",
                               .data = "mode=1777,size=65536k",
                               .flags = MS_NOSUID | MS_NOEXEC | MS_NODEV};
        if (mount_spec_entry(s, &m, rootfd, id) < 0)
            return -1;
    }
    trace("mounts done");
    if (devices_create(s, rootfd, userns) < 0)
        return -1;
    return take_fd(&rootfd);
}

int rootfs_pivot(int rootfd, bool no_pivot)
{
    trace("masked");
    if (fchdir(rootfd) < 0)
        return FAILSYS("chdir", "rootfs");
    if (no_pivot) {
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
            return FAILSYS("move rootfs", NULL);
        if (chroot(".") < 0)
            return FAILSYS("chroot", NULL);
        return chdir("/") < 0 ? FAILSYS("chdir", "/") : 0;
    }
    /* pivot_root(".", ".") stacks the old root on top of the new one; detaching
     * it then needs no put_old directory inside the container. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return FAILSYS("pivot_root", NULL);
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return FAILSYS("make old root rslave", NULL);
    if (umount2(".", MNT_DETACH) < 0)
        return FAILSYS("detach old root", NULL);
    return chdir("/") < 0 ? FAILSYS("chdir", "/") : 0;
}

static int open_in_root(int rootfd, const char *p)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    return (int)syscall(SYS_openat2, rootfd, p, &how, sizeof(how));
}

static int mask_path(int rootfd, const char *p, int devnull)
{
    _cleanup_fd_ int t = open_in_root(rootfd, p);
    if (t < 0)
        return errno == ENOENT ? 0 : FAILSYS("open masked path", p);
    struct stat st;
    if (fstat(t, &st) < 0)
        return FAILSYS("stat", p);
    if (S_ISDIR(st.st_mode)) {
        _cleanup_fd_ int tmp = fs_new("tmpfs", "tmpfs", NULL, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (tmp < 0 || attach_at(tmp, t) < 0)
            return fail(g_err.err, "mask", p, "tmpfs");
        return 0;
    }
    if (bind_at(devnull, t, false, 0) < 0)
        return fail(g_err.err, "mask", p, "bind /dev/null");
    return 0;
}

static int readonly_path(int rootfd, const char *p)
{
    _cleanup_fd_ int t = open_in_root(rootfd, p);
    if (t < 0)
        return errno == ENOENT ? 0 : FAILSYS("open readonly path", p);
    /* bind onto itself, then make the new mount read-only (recursively) */
    return bind_at(t, t, true, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) < 0 ? fail(g_err.err, "readonly", p, NULL)
                                                                                 : 0;
}

/* Masking happens before pivot_root: open_tree() can only clone mounts of our
 * own namespace, and the host /dev/null leaves it with the old root. Paths are
 * still resolved with the container root as "/". */
int rootfs_mask(const struct spec *s, int rootfd, int devnull)
{
    trace("devices done");
    for (size_t i = 0; i < s->nmasked; i++)
        if (mask_path(rootfd, s->masked[i], devnull) < 0)
            return -1;
    for (size_t i = 0; i < s->nreadonly; i++)
        if (readonly_path(rootfd, s->readonly[i]) < 0)
            return -1;
    return 0;
}

int rootfs_finish(const struct spec *s)
{
    if (s->root_readonly) {
        struct statvfs sv;
        unsigned long keep = 0;
        if (statvfs("/", &sv) == 0)
            keep = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
            return FAILSYS("remount / read-only", NULL);
    }
    if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
        return FAILSYS("rootfs propagation", NULL);
    return 0;
}
