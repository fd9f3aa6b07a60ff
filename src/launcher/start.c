/* start: release the init blocked on exec.fifo. */
#include "verbs.h"
#include <poll.h>

/* Whether the init's cgroup is frozen (v1 freezer or v2 cgroup.freeze), read
 * through its /proc/PID/cgroup: a frozen init cannot take the start signal. */
static bool init_frozen(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
    _cleanup_free_ char *text = read_whole_file(path, NULL);
    if (!text)
        return false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *v1 = strstr(line, ":freezer:"), file[4096];
        if (v1)
            snprintf(file, sizeof(file), "/sys/fs/cgroup/freezer%s/freezer.state", v1 + strlen(":freezer:"));
        else if (!strncmp(line, "0::", 3))
            snprintf(file, sizeof(file), "/sys/fs/cgroup%s%s/cgroup.freeze",
                     access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "" : "/unified", line + 3);
        else
            continue;
        _cleanup_free_ char *state = read_whole_file(file, NULL);
        if (state && (!strncmp(state, "FROZEN", 6) || !strncmp(state, "FREEZING", 8) || !strncmp(state, "1", 1)))
            return true;
    }
    return false;
}

int cmd_start(const char *id)
{
    struct cstate st;
    if (state_read(id, &st) < 0)
        return -1;
    const char *status = state_status(&st);
    if (strcmp(status, "created") != 0)
        return fail(EINVAL, "start", id, "cannot start a container that is %s", status);
    char fifo[4096];
    state_path(id, "exec.fifo", fifo, sizeof(fifo));
    /* non-blocking open: a dead init must not hang us; we poll with liveness checks */
    _cleanup_fd_ int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return fail(errno, "start", id, "open exec.fifo");
    for (int i = 0; i < 1000; i++) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, 10);
        if (r > 0 && (pfd.revents & POLLIN)) {
            char c;
            if (read(fd, &c, 1) == 1) {
                unlink(fifo);
                return 0;
            }
        }
        if (!state_alive(&st))
            break;
        /* only on the slow path: a released init answers within the first poll */
        if (i == 0 && init_frozen(st.pid))
            return fail(EBUSY, "start", id, "cannot start a container in the paused state");
    }
    return fail(ECHILD, "start", id, "container init did not take the start signal");
}
