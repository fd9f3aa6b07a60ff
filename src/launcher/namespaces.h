#ifndef NAMESPACES_H
#define NAMESPACES_H
#include "spec.h"
/* Join every namespace that has a path (user namespace first). */
int ns_join_paths(const struct spec *s);
/* Whether a namespace path must be joined before the init is cloned: a pid
 * namespace applies only to children, a user namespace must own the new ones.
 * The init can join the others itself. */
bool ns_join_before_clone(const struct spec *s);
/* CLONE_NEW* flags for namespaces to create (cgroup excluded: unshared after the cgroup join). */
int ns_clone_flags(const struct spec *s);
int ns_write_idmaps(const struct spec *s, pid_t pid);
/* exec: join all namespaces of pid that differ from ours. */
int ns_join_container(pid_t pid);
pid_t clone_child(int flags);
pid_t clone_child_into(int flags, int cgroupfd);
#endif
