/* start: release the init blocked on exec.fifo. */
#include "verbs.h"
#include <poll.h>

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
    }
    return fail(ECHILD, "start", id, "container init did not take the start signal");
}
