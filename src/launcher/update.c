/* update: apply new linux.resources (runc's --resources JSON) to a created or
 * running container's cgroups, with the same writers create uses. */
#include "verbs.h"
#include "cgroup.h"

int cmd_update(const char *id, const char *resources_path)
{
    struct cstate st;
    struct spec s;
    struct resources r;
    if (!resources_path)
        return fail(EINVAL, "update", id, "--resources FILE|- is required");
    if (load_container(id, &st, &s) < 0)
        return -1;
    if (!strcmp(state_status(&st), "stopped"))
        return fail(EINVAL, "update", id, "container is stopped");
    if (spec_load_resources(resources_path, &r) < 0)
        return -1;
    r.ndevices = 0; /* device rules are not updatable (as runc) */
    return cg_update(&s, id, &r);
}
