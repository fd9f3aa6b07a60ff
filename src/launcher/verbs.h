#ifndef VERBS_H
#define VERBS_H
#include "spec.h"
#include "state_store.h"

struct create_opts {
    const char *id, *bundle, *pid_file, *console_socket;
    int preserve_fds;
    bool run_mode; /* run: keep the init as our child's child (subreaper) */
};
struct exec_opts {
    const char *id, *process, *pid_file, *console_socket, *cwd, *user;
    bool detach, tty, tty_set;
    int preserve_fds;
    char **args;
    char **env;
    size_t nenv;
};

/* PID: helper -> parent; GO: parent -> init (id maps written);
 * CGROUP: parent -> init (cgroups made, and joined for an init in a new user
 * namespace); READY: init -> parent. */
enum { SYNC_PID = 1, SYNC_GO, SYNC_CGROUP, SYNC_READY, SYNC_ERR };
struct syncmsg {
    int type;
    pid_t pid;
    struct lerr err;
};
int sync_send(int fd, int type, pid_t pid);
int sync_send_err(int fd);
int sync_recv(int fd, struct syncmsg *m);      /* 0 = EOF, 1 = message, -1 error */
int sync_recv_soon(int fd, struct syncmsg *m); /* the same, for a message that is due */

/* init.c: the container process, from clone to exec */
/* self_join: the init joins its v1 cgroups itself once SYNC_CGROUP says
 * they exist (not possible in a new user namespace, where the parent joins
 * it before sending SYNC_CGROUP). */
__attribute__((noreturn)) void container_init(const struct spec *s, const char *id, int syncfd, int fifofd, int consfd,
                                              int preserve_fds, bool self_join);
__attribute__((noreturn)) void exec_init(const struct spec *s, int syncfd, int consfd, int preserve_fds);

int cmd_create(const struct create_opts *o, pid_t *init_pid);
int cmd_start(const char *id);
int cmd_state(const char *id);
int cmd_kill(const char *id, const char *sig, bool all);
int cmd_delete(const char *id, bool force);
int cmd_exec(struct exec_opts *o);
int cmd_run(struct create_opts *o, bool detach);
int cmd_features(void);
int cmd_update(const char *id, const char *resources_path);
int load_container(const char *id, struct cstate *st, struct spec *s);
int destroy_container(const struct cstate *st, const struct spec *s);
int write_pid_file(const char *path, pid_t pid);
#endif
