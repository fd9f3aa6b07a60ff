/* linux.seccomp compiled with libseccomp. */
#include "process.h"
#include <ctype.h>
#include <seccomp.h>

static int action(const char *a, bool has_errno, uint32_t eno, uint32_t *out)
{
    if (!a)
        return fail(EINVAL, "seccomp", NULL, "missing action");
    if (!strcmp(a, "SCMP_ACT_KILL") || !strcmp(a, "SCMP_ACT_KILL_THREAD"))
        *out = SCMP_ACT_KILL_THREAD;
    else if (!strcmp(a, "SCMP_ACT_KILL_PROCESS"))
        *out = SCMP_ACT_KILL_PROCESS;
    else if (!strcmp(a, "SCMP_ACT_TRAP"))
        *out = SCMP_ACT_TRAP;
    else if (!strcmp(a, "SCMP_ACT_ERRNO"))
        *out = SCMP_ACT_ERRNO(has_errno ? eno : EPERM);
    else if (!strcmp(a, "SCMP_ACT_TRACE"))
        *out = SCMP_ACT_TRACE(has_errno ? eno : EPERM);
    else if (!strcmp(a, "SCMP_ACT_ALLOW"))
        *out = SCMP_ACT_ALLOW;
    else if (!strcmp(a, "SCMP_ACT_LOG"))
        *out = SCMP_ACT_LOG;
    else
        return fail(EINVAL, "seccomp", a, "unsupported action");
    return 0;
}

static int op(const char *o, enum scmp_compare *out)
{
    static const struct {
        const char *n;
        enum scmp_compare c;
    } t[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    for (size_t i = 0; o && i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(o, t[i].n)) {
            *out = t[i].c;
            return 0;
        }
    return fail(EINVAL, "seccomp", o, "unsupported operator");
}

static int add_rule(scmp_filter_ctx ctx, uint32_t act, int nr, const struct seccomp_rule *r)
{
    struct scmp_arg_cmp cmp[6];
    bool dup = false;
    unsigned seen = 0;
    if (r->nargs > 6)
        return fail(EINVAL, "seccomp", r->names[0], "more than 6 argument conditions");
    for (size_t i = 0; i < r->nargs; i++) {
        if (r->args[i].index > 5)
            return fail(EINVAL, "seccomp", NULL, "argument index %u out of range", r->args[i].index);
        enum scmp_compare c = SCMP_CMP_EQ;
        if (op(r->args[i].op, &c) < 0)
            return -1;
        cmp[i] = (struct scmp_arg_cmp){
            .arg = r->args[i].index, .op = c, .datum_a = r->args[i].value, .datum_b = r->args[i].value2};
        if (seen & (1u << r->args[i].index))
            dup = true;
        seen |= 1u << r->args[i].index;
    }
    int e;
    if (!dup || r->nargs == 0) {
        /* distinct argument indexes: one rule, conditions ANDed */
        e = seccomp_rule_add_array(ctx, act, nr, (unsigned)r->nargs, cmp);
        return e < 0 ? fail(-e, "seccomp rule", r->names[0], NULL) : 0;
    }
    /* repeated index (e.g. two values for one argument): runc's semantics are one rule per condition */
    for (size_t i = 0; i < r->nargs; i++)
        if ((e = seccomp_rule_add_array(ctx, act, nr, 1, &cmp[i])) < 0)
            return fail(-e, "seccomp rule", r->names[0], NULL);
    return 0;
}

int seccomp_apply(const struct seccomp_spec *sc)
{
    if (!sc)
        return 0;
    uint32_t dflt;
    if (action(sc->default_action, sc->has_default_errno, sc->default_errno, &dflt) < 0)
        return -1;
    scmp_filter_ctx ctx = seccomp_init(dflt);
    if (!ctx)
        return fail(ENOMEM, "seccomp_init", NULL, NULL);
    int r = -1, e;
    /* no_new_privs is ours to decide (process.noNewPrivileges), not libseccomp's */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    for (size_t i = 0; i < sc->narchs; i++) {
        char name[64];
        const char *a = sc->archs[i];
        if (!strncmp(a, "SCMP_ARCH_", 10))
            a += 10;
        size_t k = 0;
        for (; a[k] && k < sizeof(name) - 1; k++)
            name[k] = (char)tolower((unsigned char)a[k]);
        name[k] = 0;
        uint32_t arch = seccomp_arch_resolve_name(name);
        if (!arch) {
            log_warn("seccomp: unknown architecture %s ignored", sc->archs[i]);
            continue;
        }
        if ((e = seccomp_arch_add(ctx, arch)) < 0 && e != -EEXIST) {
            fail(-e, "seccomp_arch_add", sc->archs[i], NULL);
            goto out;
        }
    }
    for (size_t i = 0; i < sc->nflags; i++) {
        const char *f = sc->flags[i];
        if (!strcmp(f, "SECCOMP_FILTER_FLAG_LOG"))
            e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
        else if (!strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
            e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
        else if (!strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC"))
            e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        else {
            fail(EINVAL, "seccomp", f, "unsupported flag");
            goto out;
        }
        if (e < 0) {
            fail(-e, "seccomp flag", f, NULL);
            goto out;
        }
    }
    for (size_t i = 0; i < sc->nrules; i++) {
        const struct seccomp_rule *rule = &sc->rules[i];
        uint32_t act;
        if (action(rule->action, rule->has_errno, rule->errno_ret, &act) < 0)
            goto out;
        if (act == dflt)
            continue; /* libseccomp rejects rules equal to the default action */
        for (size_t k = 0; k < rule->nnames; k++) {
            int nr = seccomp_syscall_resolve_name(rule->names[k]);
            if (nr == __NR_SCMP_ERROR)
                continue; /* unknown on this kernel/arch: ignored, as runc does */
            if (add_rule(ctx, act, nr, rule) < 0)
                goto out;
        }
    }
    if ((e = seccomp_load(ctx)) < 0) {
        fail(-e, "seccomp_load", NULL, NULL);
        goto out;
    }
    r = 0;
out:
    seccomp_release(ctx);
    return r;
}
