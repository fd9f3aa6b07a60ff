/* process.terminal: create the pty inside the container and hand the master
 * to --console-socket, as runc does. */
#include "process.h"
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

int console_setup(int sock)
{
    _cleanup_fd_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return FAILSYS("open", "/dev/ptmx");
    if (unlockpt(master) < 0)
        return FAILSYS("unlockpt", NULL);
    /* TIOCGPTPEER opens the peer through the master fd, not through a path in /dev/pts */
    _cleanup_fd_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return FAILSYS("open pty peer", NULL);
    if (sock >= 0 && send_fd(sock, master) < 0)
        return -1;
    if (setsid() < 0 && errno != EPERM)
        return FAILSYS("setsid", NULL);
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return FAILSYS("TIOCSCTTY", NULL);
    for (int i = 0; i < 3; i++)
        if (dup2(slave, i) < 0)
            return FAILSYS("dup2", "pty");
    return 0;
}

/* The --console-socket given to create and exec; -1 without one. */
int console_connect(const char *path)
{
    if (!path)
        return -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return fail(ENAMETOOLONG, "console socket", path, NULL);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fail(e, "connect console socket", path, NULL);
    }
    return fd;
}
