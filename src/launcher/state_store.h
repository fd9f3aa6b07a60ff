#ifndef STATE_STORE_H
#define STATE_STORE_H
#include "launcher.h"
struct cstate {
    char id[1100];
    pid_t pid;
    unsigned long long start;
    char bundle[4096];
    char rootfs[4096];
    char created[64];
    char cgroups_path[4096]; /* linux.cgroupsPath as applied ("" = the default) */
    bool has_cgroups_path;
    char *annotations;
};
int state_path(const char *id, const char *file, char *buf, size_t len);
int state_create_dir(const char *id);
int state_prepare(int dirfd, const struct cstate *st); /* state.json.tmp */
int state_commit(int dirfd);                           /* -> state.json */
int state_read(const char *id, struct cstate *st);
bool state_alive(const struct cstate *st);
const char *state_status(const struct cstate *st);
int state_remove(const char *id);
void now_rfc3339(char *buf, size_t len);
#endif
