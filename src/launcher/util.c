/* Small helpers: files, fd passing, errors, logging. */
#include "launcher.h"
#include <sched.h>
#include <linux/close_range.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

struct lerr g_err;
struct gopts g_opts = {.root = DEFAULT_ROOT};
static int log_fd = -1;

int fail(int err, const char *op, const char *path, const char *fmt, ...)
{
    g_err.err = err;
    snprintf(g_err.op, sizeof(g_err.op), "%s", op ? op : "");
    snprintf(g_err.path, sizeof(g_err.path), "%s", path ? path : "");
    g_err.msg[0] = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g_err.msg, sizeof(g_err.msg), fmt, ap);
        va_end(ap);
    }
    return -1;
}

void err_format(const struct lerr *e, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s%s%s", e->op, e->path[0] ? " " : "", e->path, e->msg[0] ? ": " : "", e->msg,
             e->err ? ": " : "", e->err ? strerror(e->err) : "");
}

void log_init(const char *path, bool json)
{
    g_opts.log_json = json;
    if (path)
        log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

static void json_escape(const char *s, char *out, size_t len)
{
    size_t o = 0;
    for (; *s && o + 7 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = 0;
}

void log_msg(const char *level, const char *fmt, ...)
{
    char msg[1024], esc[2048], line[2300], ts[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    int n;
    if (g_opts.log_json) {
        json_escape(msg, esc, sizeof(esc));
        n = snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s.%09ldZ\"}\n", level, esc, ts,
                     now.tv_nsec);
    } else {
        n = snprintf(line, sizeof(line), "time=\"%sZ\" level=%s msg=\"%s\"\n", ts, level, msg);
    }
    if (n > (int)sizeof(line))
        n = sizeof(line);
    if (log_fd >= 0)
        write_full(log_fd, line, (size_t)n);
    /* Errors also go to stderr: conmon and the daemon read either. */
    if (log_fd < 0 || strcmp(level, "error") == 0)
        fprintf(stderr, "criruntime-launch: %s: %s\n", level, msg);
}

void log_error_obj(const struct lerr *e)
{
    char buf[1200];
    err_format(e, buf, sizeof(buf));
    log_msg("error", "%s", buf);
}

ssize_t read_full(int fd, void *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t r = read(fd, (char *)buf + off, len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        off += (size_t)r;
    }
    return (ssize_t)off;
}

ssize_t write_full(int fd, const void *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t r = write(fd, (const char *)buf + off, len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        off += (size_t)r;
    }
    return (ssize_t)off;
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags)
{
    _cleanup_fd_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | flags, 0644);
    if (fd < 0)
        return FAILSYS("open", path);
    if (write_full(fd, data, len) < 0)
        return fail(errno, "write", path, "value %.*s", (int)(len > 64 ? 64 : len), data);
    return 0;
}

int write_str_at(int dirfd, const char *path, const char *s)
{
    return write_file_at(dirfd, path, s, strlen(s), 0);
}

ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t len)
{
    _cleanup_fd_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return FAILSYS("open", path);
    ssize_t r = read_full(fd, buf, len);
    if (r < 0)
        return FAILSYS("read", path);
    return r;
}

char *read_whole_file(const char *path, size_t *len)
{
    _cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        FAILSYS("open", path);
        return NULL;
    }
    size_t cap = 4096, off = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        ssize_t r = read(fd, buf + off, cap - off);
        if (r < 0) {
            free(buf);
            FAILSYS("read", path);
            return NULL;
        }
        if (r == 0)
            break;
        off += (size_t)r;
        if (off == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    buf[off] = 0;
    if (len)
        *len = off;
    return buf;
}

/* The common case (the parent exists) costs one mkdir; only on ENOENT are the
 * missing ancestors created, deepest existing one first. */
int mkdir_p(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return FAILSYS("mkdir", path);
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
            return FAILSYS("mkdir", tmp);
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        return FAILSYS("mkdir", tmp);
    return 0;
}

int xasprintf(char **out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(out, fmt, ap);
    va_end(ap);
    if (r < 0) {
        *out = NULL;
        return fail(ENOMEM, "alloc", NULL, NULL);
    }
    return r;
}

int send_fd(int sock, int fd)
{
    char c = 'F';
    struct iovec iov = {.iov_base = &c, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        return FAILSYS("sendmsg", "console socket");
    return 0;
}

int recv_fd(int sock)
{
    char c;
    struct iovec iov = {.iov_base = &c, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
        return FAILSYS("recvmsg", NULL);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    if (!cm || cm->cmsg_type != SCM_RIGHTS)
        return fail(EBADMSG, "recvmsg", NULL, "no fd received");
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    return fd;
}

int proc_fd_path(char *buf, size_t len, int fd)
{
    return snprintf(buf, len, "/proc/self/fd/%d", fd);
}

unsigned long long proc_start_time(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    ssize_t n = read_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p || p[1] == 0)
        return 0;
    /* field 3 (state) follows ") "; starttime is field 22 */
    if (p[2] == 'Z' || p[2] == 'X')
        return 0;
    p += 2;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

bool valid_id(const char *id)
{
    if (!id || !*id || strlen(id) > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return false;
    for (const char *p = id; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.' || *p == '+'))
            return false;
    return true;
}

/* CVE-2024-21626: nothing opened by us or inherited may survive into the
 * container's program; mark everything above keep_from close-on-exec. */
int close_stray_fds(int keep_from)
{
    if (syscall(SYS_close_range, (unsigned)keep_from, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        return FAILSYS("close_range", NULL);
    return 0;
}

/* Close every fd >= 3 except those listed (e.g. while the init waits in the
 * created state, where another process in its pid namespace could otherwise
 * reach a host directory through /proc/1/fd). */
int close_fds_except(int from, const int *keep, size_t n)
{
    unsigned lo = (unsigned)from;
    for (;;) {
        unsigned next = ~0U;
        for (size_t i = 0; i < n; i++)
            if (keep[i] >= (int)lo && (unsigned)keep[i] < next)
                next = (unsigned)keep[i];
        if (next > lo && syscall(SYS_close_range, lo, next - 1, 0) < 0)
            return FAILSYS("close_range", NULL);
        if (next == ~0U)
            return 0;
        lo = next + 1;
    }
}

int log_fileno(void)
{
    return log_fd;
}

void trace(const char *phase)
{
    static int on = -1;
    if (on < 0)
        on = getenv("CRIRUNTIME_LAUNCH_TRACE") != NULL;
    if (!on)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fprintf(stderr, "trace %d %ld.%06ld %s [cpu %d]\n", getpid(), (long)ts.tv_sec, ts.tv_nsec / 1000, phase,
            sched_getcpu());
}
