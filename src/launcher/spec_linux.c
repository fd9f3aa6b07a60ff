/* config.json: linux.resources and linux.seccomp. */
#include "spec_json.h"

void parse_resources(json_object *r, struct resources *res)
{
    json_object *cpu = get(r, "cpu"), *mem = get(r, "memory");
    res->cpu_shares = i64(cpu, "shares", -1);
    res->cpu_quota = i64(cpu, "quota", -1);
    res->cpu_period = i64(cpu, "period", -1);
    res->cpuset_cpus = str(cpu, "cpus");
    res->cpuset_mems = str(cpu, "mems");
    res->mem_limit = i64(mem, "limit", -1);
    res->mem_reservation = i64(mem, "reservation", -1);
    res->mem_swap = i64(mem, "swap", -1);
    res->pids_limit = i64(get(r, "pids"), "limit", 0);
    res->blkio_weight = i64(get(r, "blockIO"), "weight", -1);
    json_object *h = get(r, "hugepageLimits");
    res->nhugetlb = alen(h);
    res->hugetlb = calloc(res->nhugetlb + 1, sizeof(struct kv));
    for (size_t i = 0; i < res->nhugetlb; i++) {
        json_object *e = json_object_array_get_idx(h, i);
        res->hugetlb[i].key = str(e, "pageSize");
        xasprintf(&res->hugetlb[i].value, "%llu", (unsigned long long)u64(get(e, "limit")));
    }
    json_object *d = get(r, "devices");
    res->ndevices = alen(d);
    res->devices = calloc(res->ndevices + 1, sizeof(struct devrule));
    for (size_t i = 0; i < res->ndevices; i++) {
        json_object *e = json_object_array_get_idx(d, i);
        struct devrule *dr = &res->devices[i];
        _cleanup_free_ char *t = str(e, "type"), *acc = str(e, "access");
        dr->allow = boolean(e, "allow");
        dr->type = t && *t ? t[0] : 'a';
        dr->major = i64(e, "major", -1);
        dr->minor = i64(e, "minor", -1);
        snprintf(dr->access, sizeof(dr->access), "%s", acc && *acc ? acc : "rwm");
    }
    json_object *u = get(r, "unified");
    if (u && json_object_is_type(u, json_type_object)) {
        res->unified = calloc(json_object_object_length(u) + 1, sizeof(struct kv));
        json_object_object_foreach(u, k, v)
        {
            res->unified[res->nunified].key = strdup(k);
            res->unified[res->nunified++].value = strdup(json_object_get_string(v));
        }
    }
}

void parse_seccomp(json_object *sc, struct seccomp_spec *s)
{
    s->default_action = str(sc, "defaultAction");
    if (get(sc, "defaultErrnoRet")) {
        s->has_default_errno = true;
        s->default_errno = (uint32_t)i64(sc, "defaultErrnoRet", 1);
    }
    s->archs = strv(get(sc, "architectures"), &s->narchs);
    s->flags = strv(get(sc, "flags"), &s->nflags);
    json_object *sys = get(sc, "syscalls");
    s->nrules = alen(sys);
    s->rules = calloc(s->nrules + 1, sizeof(*s->rules));
    for (size_t i = 0; i < s->nrules; i++) {
        json_object *e = json_object_array_get_idx(sys, i);
        struct seccomp_rule *r = &s->rules[i];
        r->names = strv(get(e, "names"), &r->nnames);
        r->action = str(e, "action");
        if (get(e, "errnoRet")) {
            r->has_errno = true;
            r->errno_ret = (uint32_t)i64(e, "errnoRet", 1);
        }
        json_object *args = get(e, "args");
        r->nargs = alen(args);
        r->args = calloc(r->nargs + 1, sizeof(*r->args));
        for (size_t k = 0; k < r->nargs; k++) {
            json_object *a = json_object_array_get_idx(args, k);
            r->args[k].index = (unsigned)i64(a, "index", 0);
            r->args[k].value = get(a, "value") ? u64(get(a, "value")) : 0;
            r->args[k].value2 = get(a, "valueTwo") ? u64(get(a, "valueTwo")) : 0;
            r->args[k].op = str(a, "op");
        }
    }
}
