#ifndef PROCESS_H
#define PROCESS_H
#include "spec.h"
/* capabilities.c */
uint64_t caps_host_bounding(void);
int caps_drop_bounding(const struct process_spec *p);
int caps_apply(const struct process_spec *p);
/* user.c */
int user_apply(const struct process_spec *p);
int rlimits_apply(const struct process_spec *p);
int find_executable(const struct process_spec *p, char *out, size_t len);
int chdir_in_root(const char *cwd);
/* seccomp.c */
int seccomp_apply(const struct seccomp_spec *sc);
/* console.c */
int console_setup(int sock);
int console_connect(const char *path);
/* sysctl.c: procfs is a private, freshly created instance */
int procfs_open_private(void);
int sysctl_validate(const struct spec *s);
int sysctl_apply(const struct spec *s, int procfd);
int oom_score_apply(const struct process_spec *p, int procfd);
#endif
