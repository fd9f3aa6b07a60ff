#ifndef CGROUP_H
#define CGROUP_H
#include "spec.h"
struct hier {
    char mnt[512];
    char opts[256];
    bool v2;
};
#define MAX_HIER 24
/* Discover cgroupfs mounts; returns count. A pure v2 host yields one v2 entry. */
int cg_hierarchies(struct hier *h, int max);
bool cg_is_v2_host(void);
void cg_path(const struct spec *s, const char *id, char *buf, size_t len);
/* mkdir + write limits, in the cgroup2 hierarchy (v2 true: the node the init
 * is cloned into) or in the v1 ones (v2 false) */
int cg_apply(const struct spec *s, const char *id, bool v2);
int cg_update(const struct spec *s, const char *id, const struct resources *r);
int cg_prepare_devices(const struct spec *s); /* work that need not wait for the init's nodes */
int cg_apply_devices(const struct spec *s, const char *id);
int cg_join_self_v1(const struct spec *s, const char *id);
int cg_open_v2(const struct spec *s, const char *id);
int cg_join(const struct spec *s, const char *id, pid_t pid);
int cg_read_pids(const struct spec *s, const char *id, pid_t **out, size_t *n);
int cg_destroy(const struct spec *s, const char *id);
/* v1/v2 controller writers */
int cg_v1_apply(const struct hier *h, int dirfd, const struct resources *r);
int cg_v2_apply(int dirfd, const struct resources *r);
int cg_v2_devices_load(const struct resources *r); /* optional: verify the program early */
int cg_v2_devices(int dirfd, const struct resources *r);
int cg_v2_enable_controllers(const char *mnt, const char *path);
#endif
