/* json-c accessors shared by the spec parsers (spec.c, spec_linux.c). */
#ifndef SPEC_JSON_H
#define SPEC_JSON_H
#include "spec.h"
#include <json.h>

static inline json_object *get(json_object *o, const char *k)
{
    json_object *v = NULL;
    if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, k, &v))
        return v;
    return NULL;
}
static inline char *str(json_object *o, const char *k)
{
    json_object *v = get(o, k);
    return v && json_object_is_type(v, json_type_string) ? strdup(json_object_get_string(v)) : NULL;
}
static inline int64_t i64(json_object *o, const char *k, int64_t dflt)
{
    json_object *v = get(o, k);
    return v && !json_object_is_type(v, json_type_null) ? json_object_get_int64(v) : dflt;
}
static inline uint64_t u64(json_object *v)
{
    return json_object_get_uint64(v);
}
static inline bool boolean(json_object *o, const char *k)
{
    json_object *v = get(o, k);
    return v ? json_object_get_boolean(v) : false;
}
static inline size_t alen(json_object *a)
{
    return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}
static inline char **strv(json_object *a, size_t *n)
{
    size_t len = alen(a);
    char **v = calloc(len + 1, sizeof(char *));
    if (!v)
        return NULL;
    for (size_t i = 0; i < len; i++)
        v[i] = strdup(json_object_get_string(json_object_array_get_idx(a, i)));
    if (n)
        *n = len;
    return v;
}

void parse_resources(json_object *r, struct resources *res);
void parse_seccomp(json_object *sc, struct seccomp_spec *s);
#endif
