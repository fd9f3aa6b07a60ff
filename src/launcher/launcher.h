/* criruntime-launch: shared declarations. */
#ifndef LAUNCHER_H
#define LAUNCHER_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define LAUNCHER_VERSION "0.1.0"
#define OCI_VERSION      "1.0.2"
#define DEFAULT_ROOT     "/run/criruntime-launch"

/* ---- error object: set once where the failure happens, logged once at the top ---- */
struct lerr {
    int err;
    char op[48];
    char path[512];
    char msg[512];
};
extern struct lerr g_err;
/* Record an error and return -1. err may be 0 for non-syscall failures. */
int fail(int err, const char *op, const char *path, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define FAILSYS(op, path) fail(errno, (op), (path), NULL)
void err_format(const struct lerr *e, char *buf, size_t len);

/* ---- logging (runc's JSON log format when --log-format json) ---- */
void log_init(const char *path, bool json);
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_error_obj(const struct lerr *e);
#define log_warn(...) log_msg("warning", __VA_ARGS__)

/* CRIRUNTIME_LAUNCH_TRACE=1: phase timestamps on stderr, for performance work */
void trace(const char *phase);

/* ---- cleanup helpers ---- */
static inline void closep(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}
static inline void freep(void *p)
{
    free(*(void **)p);
}
static inline void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
#define _cleanup_fd_   __attribute__((cleanup(closep)))
#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_file_ __attribute__((cleanup(fclosep)))
static inline int take_fd(int *fd)
{
    int r = *fd;
    *fd = -1;
    return r;
}

/* ---- global options ---- */
struct gopts {
    const char *root;
    const char *log;
    bool log_json;
    bool no_pivot;
};
extern struct gopts g_opts;

/* ---- utilities (util.c) ---- */
int write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags);
int write_str_at(int dirfd, const char *path, const char *s);
ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t len);
char *read_whole_file(const char *path, size_t *len);
int mkdir_p(const char *path, mode_t mode);
int xasprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int send_fd(int sock, int fd);
int recv_fd(int sock);
ssize_t read_full(int fd, void *buf, size_t len);
ssize_t write_full(int fd, const void *buf, size_t len);
int proc_fd_path(char *buf, size_t len, int fd);
unsigned long long proc_start_time(pid_t pid);
bool valid_id(const char *id);
int close_stray_fds(int keep_from);
int close_fds_except(int from, const int *keep, size_t n);
int log_fileno(void);
int ensure_sealed_self(int argc, char **argv);
void exe_seal_release(void); /* after the processes that need it are cloned */

#endif
