/* state: the OCI state JSON. */
#include "verbs.h"
#include <json.h>

int cmd_state(const char *id)
{
    struct cstate st;
    if (state_read(id, &st) < 0)
        return -1;
    const char *status = state_status(&st);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
    json_object_object_add(o, "id", json_object_new_string(st.id));
    json_object_object_add(o, "pid", json_object_new_int(strcmp(status, "stopped") ? st.pid : 0));
    json_object_object_add(o, "status", json_object_new_string(status));
    json_object_object_add(o, "bundle", json_object_new_string(st.bundle));
    json_object_object_add(o, "rootfs", json_object_new_string(st.rootfs));
    json_object_object_add(o, "created", json_object_new_string(st.created));
    json_object_object_add(o, "owner", json_object_new_string(""));
    json_object_object_add(o, "annotations", json_tokener_parse(st.annotations ? st.annotations : "{}"));
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
    json_object_put(o);
    return 0;
}
