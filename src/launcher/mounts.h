#ifndef MOUNTS_H
#define MOUNTS_H
#include "spec.h"
enum { RESOLVE_ONLY = 0, CREATE_DIR = 1, CREATE_FILE = 2 };
/* O_PATH fd for path inside rootfd; never leaves rootfd (RESOLVE_IN_ROOT). */
int resolve_in_root(int rootfd, const char *path, int create);
/* Detached filesystem (new mount API); data is comma-separated mount(8) options. */
int fs_new(const char *type, const char *source, const char *data, unsigned long msflags);
int attach_at(int treefd, int targetfd);
int set_attrs(int mntfd, unsigned long msflags, unsigned long propagation, bool rec);
int bind_at(int srcfd, int targetfd, bool rec, unsigned long msflags);
int mount_spec_entry(const struct spec *s, const struct mount_spec *m, int rootfd, const char *id);
#endif
