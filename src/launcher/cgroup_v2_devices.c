/* cgroup v2 device rules: a BPF_PROG_TYPE_CGROUP_DEVICE program generated
 * from linux.resources.devices and attached to the container's cgroup. */
#include "cgroup.h"
#include <linux/bpf.h>
#include <sys/syscall.h>

#define MAXINS 4096
struct prog {
    struct bpf_insn ins[MAXINS];
    int n;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    if (p->n < MAXINS)
        p->ins[p->n++] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static const struct devrule dflt[] = {
    {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 7, "rwm"},
    {true, 'c', 1, 8, "rwm"}, {true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},
    {true, 'c', 5, 1, "rwm"}, {true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"},
};

static int access_bits(const char *a)
{
    int b = 0;
    for (; *a; a++)
        b |= *a == 'm' ? BPF_DEVCG_ACC_MKNOD : *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : 0;
    return b;
}

/* One block per rule: a mismatch jumps to the next block; a match returns
 * the rule's verdict. Rules are tested last-first because, as with the v1
 * controller, a later rule overrides an earlier one. */
static void rule_block(struct prog *p, const struct devrule *d)
{
    int jumps[4], nj = 0;
    if (d->type == 'c' || d->type == 'b') {
        jumps[nj++] = p->n;
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 3, 0, 0, d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
    }
    if (d->type != 'a' && d->major >= 0) {
        jumps[nj++] = p->n;
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int32_t)d->major);
    }
    if (d->type != 'a' && d->minor >= 0) {
        jumps[nj++] = p->n;
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 6, 0, 0, (int32_t)d->minor);
    }
    int acc = d->type == 'a' ? 7 : access_bits(d->access);
    emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 7, 4, 0, 0);
    if (d->allow) {
        /* allow matches when every requested access is granted */
        emit(p, BPF_ALU64 | BPF_AND | BPF_K, 7, 0, 0, ~acc & 7);
        jumps[nj++] = p->n;
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 7, 0, 0, 0);
    } else {
        /* deny matches when any requested access is denied */
        emit(p, BPF_ALU64 | BPF_AND | BPF_K, 7, 0, 0, acc);
        jumps[nj++] = p->n;
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 0, 0);
    }
    emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, d->allow ? 1 : 0);
    emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    for (int i = 0; i < nj; i++)
        p->ins[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
}

/* The loaded program, kept between cg_v2_devices_load() and the attach. */
static int g_prog = -1;

/* Build and load (verify) the program without attaching it. create calls
 * this while the init sets up its rootfs: the verifier takes ~0.3 ms, and only
 * the attach has to wait until the init has created its device nodes. */
int cg_v2_devices_load(const struct resources *r)
{
    if (!r->ndevices || g_prog >= 0)
        return 0;
    static struct prog p;
    p.n = 0;
    /* r2 = access_type, r3 = type, r4 = access, r5 = major, r6 = minor */
    emit(&p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
    emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
    emit(&p, BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, 0xffff);
    emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
    emit(&p, BPF_ALU64 | BPF_RSH | BPF_K, 4, 0, 0, 16);
    emit(&p, BPF_LDX | BPF_MEM | BPF_W, 5, 1, 4, 0);
    emit(&p, BPF_LDX | BPF_MEM | BPF_W, 6, 1, 8, 0);
    for (size_t i = sizeof(dflt) / sizeof(dflt[0]); i-- > 0;)
        rule_block(&p, &dflt[i]);
    for (size_t i = r->ndevices; i-- > 0;)
        rule_block(&p, &r->devices[i]);
    /* nothing matched: the v1 starting point, everything allowed */
    emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
    emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    if (p.n >= MAXINS)
        return fail(E2BIG, "cgroup devices", NULL, "too many device rules");
    static char logbuf[65536];
    union bpf_attr load = {0};
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = (uint64_t)(uintptr_t)p.ins;
    load.insn_cnt = (uint32_t)p.n;
    load.license = (uint64_t)(uintptr_t) "Apache-2.0";
    /* the verifier gives up with EAGAIN when a signal is pending (a tracer's
     * stop, for one); libbpf retries too */
    int prog, tries = 0;
    do
        prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
    while (prog < 0 && errno == EAGAIN && ++tries < 5);
    if (prog < 0) {
        /* load again with the verifier log, only to explain the failure */
        int e = errno;
        load.log_buf = (uint64_t)(uintptr_t)logbuf;
        load.log_size = sizeof(logbuf);
        load.log_level = 1;
        int again = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
        if (again >= 0)
            close(again);
        size_t l = strlen(logbuf);
        return fail(e, "bpf load", "device program", "%s", l > 300 ? logbuf + l - 300 : logbuf);
    }
    g_prog = prog;
    return 0;
}

int cg_v2_devices(int dfd, const struct resources *r)
{
    if (!r->ndevices)
        return 0;
    if (cg_v2_devices_load(r) < 0)
        return -1;
    union bpf_attr at = {0};
    at.target_fd = (uint32_t)dfd;
    at.attach_bpf_fd = (uint32_t)g_prog;
    at.attach_type = BPF_CGROUP_DEVICE;
    at.attach_flags = BPF_F_ALLOW_MULTI;
    if (syscall(SYS_bpf, BPF_PROG_ATTACH, &at, sizeof(at)) < 0)
        return FAILSYS("bpf attach", "device program");
    /* the cgroup holds the program now */
    close(g_prog);
    g_prog = -1;
    return 0;
}
