/* criruntime-pause: PID 1 of a pod. Holds the pod's namespaces open, reaps
 * zombies that containers sharing its PID namespace leave behind, and exits 0
 * on SIGINT/SIGTERM (a pod stop is not a failure). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_terminate(int sig)
{
    (void)sig;
    _exit(0);
}

static void on_child(int sig)
{
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

int main(int argc, char **argv)
{
    struct sigaction term = {.sa_handler = on_terminate};
    struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP | SA_RESTART};

    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        puts("criruntime-pause 0.1.0");
        return 0;
    }
    if (getpid() != 1)
        fprintf(stderr, "criruntime-pause: warning: not PID 1, zombies of other "
                        "processes are not reaped\n");
    sigemptyset(&term.sa_mask);
    sigemptyset(&child.sa_mask);
    if (sigaction(SIGINT, &term, NULL) < 0 || sigaction(SIGTERM, &term, NULL) < 0 ||
        sigaction(SIGCHLD, &child, NULL) < 0) {
        perror("criruntime-pause: sigaction");
        return 1;
    }
    for (;;)
        pause();
}
