/* CVE-2019-5736: while our code runs inside a container (create, run, exec),
 * a process of the container can open /proc/<our pid>/exe. If that resolved
 * to the host's launcher binary, it could overwrite it and run code on the
 * host the next time the launcher starts. So those verbs re-execute
 * themselves from a copy that cannot be written, before touching anything.
 *
 * Preferred (O(1), like runc >= 1.2): execute the binary through a private,
 * detached overlayfs mount with two lower layers and no upper layer. Such an
 * overlay has no writable layer at all, so no open of its files for writing
 * can succeed, whatever the mount flags: unlike a read-only bind mount, a
 * process holding CAP_SYS_ADMIN cannot clone the mount and clear its
 * read-only flag to reach the host inode. The mount is in no namespace: it
 * disappears with the last process executing from it.
 *
 * Fallback (copies the binary, ~0.5 ms): a sealed anonymous memfd.
 *
 * After the re-exec we must recognise that we are already protected, or we
 * would loop; the check proves it rather than trusting a flag: either
 * /proc/self/exe is a memfd with all write seals, or it lives on the very
 * overlay mount whose fd our previous image passed down (number in
 * EXE_MNT_ENV) and that fd is an overlayfs mount created read-only. */
#include "launcher.h"
#include <limits.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define SEALS       (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define EXE_MNT_ENV "_CRIRUNTIME_LAUNCH_EXE_MNT"

extern char **environ;

static bool same_mount(int a, int b)
{
    struct statx x, y;
    if (statx(a, "", AT_EMPTY_PATH, STATX_MNT_ID, &x) < 0 || statx(b, "", AT_EMPTY_PATH, STATX_MNT_ID, &y) < 0)
        return false;
    return (x.stx_mask & STATX_MNT_ID) && (y.stx_mask & STATX_MNT_ID) && x.stx_mnt_id == y.stx_mnt_id;
}

static int g_exe_mnt = -1;

/* Closing the last fd of a detached mount dissolves it, and that waits for an
 * RCU grace period (0.1 ms on a quiet machine, milliseconds under load). create
 * therefore drops its copy once the init is cloned: the init, which inherited
 * one, closes the last copy after it reported READY, off the critical path. */
void exe_seal_release(void)
{
    if (g_exe_mnt >= 0)
        close(g_exe_mnt);
    g_exe_mnt = -1;
}

/* Consumes EXE_MNT_ENV so that nothing we start inherits it; true when self
 * (our /proc/self/exe) is on that overlay mount, whose fd is then kept
 * close-on-exec until exe_seal_release(). */
static bool on_passed_overlay(int self)
{
    const char *v = getenv(EXE_MNT_ENV);
    if (!v)
        return false;
    char *end;
    long fd = strtol(v, &end, 10);
    unsetenv(EXE_MNT_ENV);
    if (*end || fd < 3 || fd > INT_MAX)
        return false;
    struct statfs sf;
    bool ok = fstatfs((int)fd, &sf) == 0 && sf.f_type == OVERLAYFS_SUPER_MAGIC && (sf.f_flags & ST_RDONLY) &&
              same_mount(self, (int)fd) && fcntl((int)fd, F_SETFD, FD_CLOEXEC) == 0;
    if (ok)
        g_exe_mnt = (int)fd;
    else
        close((int)fd);
    return ok;
}

/* Append src to dst with overlayfs lowerdir escaping (':' separates layers). */
static bool append_escaped(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(dst);
    for (; *src; src++) {
        if ((*src == ':' || *src == '\\') && n + 1 < cap)
            dst[n++] = '\\';
        if (n + 1 >= cap)
            return false;
        dst[n++] = *src;
    }
    dst[n] = 0;
    return true;
}

/* Returns only on failure (errno-style, nothing logged: the caller falls back). */
static int exec_via_overlay(int self, char **argv)
{
    char exe[PATH_MAX], lower[2 * PATH_MAX + 8] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0 || exe[0] != '/')
        return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    *slash = 0;
    const char *name = slash + 1, *dir = exe[0] ? exe : "/";
    /* Overlayfs needs two lower layers when it has no upper one. The second
     * is our state root: it only contributes names the binary's directory
     * does not have (the binary's directory is the top layer). If the two
     * overlap, the kernel refuses and we fall back to the memfd copy. */
    if (mkdir_p(g_opts.root, 0711) < 0)
        return -1;
    if (!append_escaped(lower, sizeof(lower), dir))
        return -1;
    strcat(lower, ":"); /* room reserved by the +8 in its size */
    if (!append_escaped(lower, sizeof(lower), g_opts.root))
        return -1;
    _cleanup_fd_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
        return -1;
    /* xino would only log noise when the layers are on different filesystems */
    fsconfig(fs, FSCONFIG_SET_STRING, "xino", "off", 0);
    if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -1;
    _cleanup_fd_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (mnt < 0)
        return -1;
    _cleanup_fd_ int bin = openat(mnt, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat a, b;
    /* the overlay must show our own binary (same inode, size and mtime) */
    if (bin < 0 || fstat(bin, &a) < 0 || fstat(self, &b) < 0 || !S_ISREG(a.st_mode) || a.st_ino != b.st_ino ||
        a.st_size != b.st_size || a.st_mtim.tv_sec != b.st_mtim.tv_sec || a.st_mtim.tv_nsec != b.st_mtim.tv_nsec)
        return -1;
    char num[16];
    snprintf(num, sizeof(num), "%d", mnt);
    /* the mount fd survives execve only as the proof described above */
    if (fcntl(mnt, F_SETFD, 0) < 0 || setenv(EXE_MNT_ENV, num, 1) < 0)
        return -1;
    syscall(SYS_execveat, bin, "", argv, environ, AT_EMPTY_PATH);
    unsetenv(EXE_MNT_ENV);
    return -1;
}

static int exec_via_memfd(int self, char **argv)
{
    struct stat st;
    if (fstat(self, &st) < 0)
        return FAILSYS("fstat", "/proc/self/exe");
    _cleanup_fd_ int mfd = memfd_create("criruntime-launch", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (mfd < 0 && errno == EINVAL)
        mfd = memfd_create("criruntime-launch", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0)
        return FAILSYS("memfd_create", NULL);
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = sendfile(mfd, self, NULL, (size_t)left);
        if (n <= 0)
            return FAILSYS("sendfile", "memfd");
        left -= n;
    }
    if (fchmod(mfd, 0500) < 0 || fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
        return FAILSYS("seal", "memfd");
    syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
    return FAILSYS("execveat", "memfd");
}

int ensure_sealed_self(int argc, char **argv)
{
    (void)argc;
    _cleanup_fd_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        return FAILSYS("open", "/proc/self/exe");
    if (on_passed_overlay(self))
        return 0;
    int seals = fcntl(self, F_GET_SEALS);
    if (seals >= 0 && (seals & SEALS) == SEALS)
        return 0;
    /* CRIRUNTIME_LAUNCH_SEAL=memfd forces the copy (tests exercise both paths) */
    const char *mode = getenv("CRIRUNTIME_LAUNCH_SEAL");
    if (!mode || strcmp(mode, "memfd") != 0)
        exec_via_overlay(self, argv);
    return exec_via_memfd(self, argv);
}
