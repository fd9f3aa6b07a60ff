/* In-memory form of the OCI config.json subset we implement; parsed only in spec.c. */
#ifndef SPEC_H
#define SPEC_H
#include "launcher.h"
#include <sys/resource.h>

#define NCAPSETS 5
enum { CAP_SET_BOUNDING, CAP_SET_EFFECTIVE, CAP_SET_PERMITTED, CAP_SET_INHERITABLE, CAP_SET_AMBIENT };

struct rlimit_spec {
    int resource;
    uint64_t soft, hard;
};

struct process_spec {
    char **args; /* NULL-terminated */
    char **env;  /* NULL-terminated */
    char *cwd;
    uid_t uid;
    gid_t gid;
    gid_t *gids;
    size_t ngids;
    bool has_umask;
    mode_t umask;
    bool has_caps;
    uint64_t caps[NCAPSETS];
    struct rlimit_spec *rlimits;
    size_t nrlimits;
    bool nnp;
    bool has_oom;
    int oom_score_adj;
    bool terminal;
};

struct ns_spec {
    int type;
    char *path;
}; /* type is a CLONE_NEW* flag */
struct idmap {
    uint32_t inner, outer, size;
};

struct mount_spec {
    char *dest, *type, *source, *data;
    unsigned long flags;       /* MS_* flags applied at mount/remount */
    unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) */
    bool bind, rec;
};

struct device_spec {
    char *path;
    char type; /* c, b, u, p */
    int64_t major, minor;
    mode_t mode;
    uid_t uid;
    gid_t gid;
    bool has_mode, has_uid, has_gid;
};

struct devrule {
    bool allow;
    char type;
    int64_t major, minor;
    char access[4];
};
struct kv {
    char *key, *value;
};

struct resources {
    int64_t cpu_shares, cpu_quota, cpu_period; /* -1 = unset */
    char *cpuset_cpus, *cpuset_mems;
    int64_t mem_limit, mem_reservation, mem_swap; /* -1 = unset */
    int64_t pids_limit;                           /* 0 = unset */
    int64_t blkio_weight;                         /* -1 = unset */
    struct kv *hugetlb;
    size_t nhugetlb; /* pagesize -> limit (value as text) */
    struct devrule *devices;
    size_t ndevices;
    struct kv *unified;
    size_t nunified;
};

struct seccomp_arg {
    unsigned index;
    uint64_t value, value2;
    char *op;
};
struct seccomp_rule {
    char **names;
    size_t nnames;
    char *action;
    bool has_errno;
    uint32_t errno_ret;
    struct seccomp_arg *args;
    size_t nargs;
};
struct seccomp_spec {
    char *default_action;
    bool has_default_errno;
    uint32_t default_errno;
    char **archs;
    size_t narchs;
    char **flags;
    size_t nflags;
    struct seccomp_rule *rules;
    size_t nrules;
};

struct spec {
    struct process_spec proc;
    char *root_path; /* absolute */
    bool root_readonly;
    char *hostname, *domainname;
    struct mount_spec *mounts;
    size_t nmounts;
    struct ns_spec *ns;
    size_t nns;
    struct idmap *uidmap;
    size_t nuidmap;
    struct idmap *gidmap;
    size_t ngidmap;
    char *cgroups_path;
    struct resources res;
    struct device_spec *devices;
    size_t ndevices;
    char **masked;
    size_t nmasked;
    char **readonly;
    size_t nreadonly;
    unsigned long rootfs_propagation; /* 0 = default (rslave) */
    struct kv *sysctl;
    size_t nsysctl;
    struct seccomp_spec *seccomp;
    char *annotations_json; /* raw JSON object text for state */
};

int spec_load(const char *bundle, struct spec *s);
int spec_load_file(const char *config_path, const char *bundle, struct spec *s);
/* text: NUL-terminated config.json contents; config_path only names it in errors */
int spec_parse(const char *text, const char *config_path, const char *bundle, struct spec *s);
/* exec's --process file: a bare OCI "process" object */
int spec_load_process(const char *path, struct process_spec *p);
const struct ns_spec *spec_ns(const struct spec *s, int type);
int cap_from_name(const char *name);
const char *cap_name(int cap);
int cap_last(void);
#endif
