#ifndef ROOTFS_H
#define ROOTFS_H
#include "spec.h"
/* Before pivot: propagation, rootfs bind, spec mounts, devices. Returns rootfd. */
/* cgroup_ready() runs before the first cgroup mount: the init must be in its
 * cgroups (and cgroup namespace) by then. */
int rootfs_prepare(const struct spec *s, const char *id, bool userns, int (*cgroup_ready)(void));
int rootfs_pivot(int rootfd, bool no_pivot);
/* Before pivot: masked and readonly paths. After pivot: readonly root, propagation. */
int rootfs_mask(const struct spec *s, int rootfd, int devnull);
int rootfs_finish(const struct spec *s);
int devices_create(const struct spec *s, int rootfd, bool userns);
/* Host /dev/null as O_PATH after checking it is the real 1:3 character device. */
int open_verified_devnull(void);
#endif
