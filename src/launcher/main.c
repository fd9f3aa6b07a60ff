/* criruntime-launch: OCI runtime command line (runc-compatible subset).
 * Exit status: 0 success, 1 error (logged once), for run/exec without
 * --detach the container process's status (128+N if killed by signal N). */
#include "verbs.h"

static void usage(void)
{
    fprintf(stderr, "usage: criruntime-launch [--root DIR] [--log FILE] [--log-format json|text] COMMAND\n"
                    "  create [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] ID\n"
                    "  start ID | state ID | kill ID [SIGNAL] [--all] | delete [--force] ID\n"
                    "  exec [--process F] [--detach] [--pid-file F] [--console-socket S] [--tty] [--cwd D]\n"
                    "       [--env K=V] [--user U[:G]] ID [ARGS...]\n"
                    "  update --resources FILE|- ID\n"
                    "  run [--bundle DIR] [--pid-file F] [--detach] ID | features | --version\n");
}

/* "--name value" or "--name=value"; returns the value or NULL. */
static const char *optval(int argc, char **argv, int *i, const char *lng, const char *shrt)
{
    const char *a = argv[*i];
    size_t l = strlen(lng);
    if (!strncmp(a, lng, l) && a[l] == '=')
        return a + l + 1;
    if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0)) {
        if (*i + 1 >= argc) {
            fail(EINVAL, "usage", lng, "needs a value");
            return NULL;
        }
        return argv[++*i];
    }
    return NULL;
}
static bool flag(const char *a, const char *lng, const char *shrt)
{
    return !strcmp(a, lng) || (shrt && !strcmp(a, shrt)) ||
           (!strncmp(a, lng, strlen(lng)) && !strcmp(a + strlen(lng), "=true"));
}

int main(int argc, char **argv)
{
    int i = 1;
    trace("main");
    const char *log_path = NULL, *log_format = "text";
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v;
        if ((v = optval(argc, argv, &i, "--root", NULL)))
            g_opts.root = v;
        else if ((v = optval(argc, argv, &i, "--log", NULL)))
            log_path = v;
        else if ((v = optval(argc, argv, &i, "--log-format", NULL)))
            log_format = v;
        else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
            printf("criruntime-launch version %s\nspec: %s\n", LAUNCHER_VERSION, OCI_VERSION);
            return 0;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return 0;
        } else if ((v = optval(argc, argv, &i, "--criu", NULL)) || (v = optval(argc, argv, &i, "--rootless", NULL))) {
            /* accepted for runc compatibility, no effect */
        }
        /* other unknown global flags (--debug, --systemd-cgroup, ...) are accepted and ignored */
    }
    log_init(log_path, !strcmp(log_format, "json"));
    if (i >= argc) {
        usage();
        return 1;
    }
    const char *verb = argv[i++];
    struct create_opts co = {0};
    struct exec_opts eo = {0};
    const char *pos[3] = {0}, *resources = NULL;
    int npos = 0;
    bool all = false, force = false, detach = false;
    eo.env = calloc((size_t)argc, sizeof(char *));
    for (; i < argc; i++) {
        const char *a = argv[i], *v;
        if (a[0] != '-' || !strcmp(a, "-")) {
            if (npos < 3)
                pos[npos++] = a;
            /* exec ID ARGS...: everything after the id belongs to the command */
            if (!strcmp(verb, "exec")) {
                eo.args = &argv[i + 1];
                break;
            }
            if (!strcmp(verb, "kill") && npos < 2 && i + 1 < argc && argv[i + 1][0] != '-')
                pos[npos++] = argv[++i];
            continue;
        }
        if (!strcmp(a, "--")) {
            if (!strcmp(verb, "exec") && i + 1 < argc) {
                pos[npos++] = argv[i + 1];
                eo.args = &argv[i + 2];
            }
            break;
        }
        if ((v = optval(argc, argv, &i, "--bundle", "-b")))
            co.bundle = v;
        else if ((v = optval(argc, argv, &i, "--pid-file", NULL)))
            co.pid_file = eo.pid_file = v;
        else if ((v = optval(argc, argv, &i, "--console-socket", NULL)))
            co.console_socket = eo.console_socket = v;
        else if ((v = optval(argc, argv, &i, "--preserve-fds", NULL)))
            co.preserve_fds = eo.preserve_fds = atoi(v);
        else if ((v = optval(argc, argv, &i, "--resources", "-r")))
            resources = v;
        else if ((v = optval(argc, argv, &i, "--process", "-p")))
            eo.process = v;
        else if ((v = optval(argc, argv, &i, "--cwd", NULL)))
            eo.cwd = v;
        else if ((v = optval(argc, argv, &i, "--env", "-e")))
            eo.env[eo.nenv++] = (char *)v;
        else if ((v = optval(argc, argv, &i, "--user", "-u")))
            eo.user = v;
        else if ((v = optval(argc, argv, &i, "--signal", "-s")))
            pos[npos < 3 ? npos++ : 2] = v;
        else if ((v = optval(argc, argv, &i, "--cap", "-c")) || (v = optval(argc, argv, &i, "--process-label", NULL)) ||
                 (v = optval(argc, argv, &i, "--apparmor", NULL)) ||
                 (v = optval(argc, argv, &i, "--additional-gids", "-g")))
            log_warn("%s is not supported and was ignored", a);
        else if (flag(a, "--detach", "-d"))
            detach = eo.detach = true;
        else if (flag(a, "--tty", "-t"))
            eo.tty = eo.tty_set = true;
        else if (flag(a, "--all", "-a"))
            all = true;
        else if (flag(a, "--force", "-f"))
            force = true;
        else if (flag(a, "--no-pivot", NULL))
            g_opts.no_pivot = true;
        else if (g_err.op[0] && !strcmp(g_err.op, "usage"))
            break;
        /* unknown verb flags (--no-new-keyring, --no-subreaper, ...) are accepted */
    }
    if (g_err.op[0] && !strcmp(g_err.op, "usage")) {
        log_error_obj(&g_err);
        return 1;
    }
    const char *id = pos[0];
    int r;
    bool needs_id = strcmp(verb, "features") != 0;
    if (needs_id && !id) {
        fail(EINVAL, verb, NULL, "container id is required");
        log_error_obj(&g_err);
        return 1;
    }
    /* Verbs that put our code inside a container run from a sealed copy. */
    if (!strcmp(verb, "create") || !strcmp(verb, "run") || !strcmp(verb, "exec")) {
        if (ensure_sealed_self(argc, argv) < 0) {
            log_error_obj(&g_err);
            return 1;
        }
    }
    trace("sealed");
    co.id = eo.id = id;
    if (!strcmp(verb, "create"))
        r = cmd_create(&co, NULL);
    else if (!strcmp(verb, "start"))
        r = cmd_start(id);
    else if (!strcmp(verb, "state"))
        r = cmd_state(id);
    else if (!strcmp(verb, "kill"))
        r = cmd_kill(id, pos[1], all);
    else if (!strcmp(verb, "delete"))
        r = cmd_delete(id, force);
    else if (!strcmp(verb, "exec"))
        r = cmd_exec(&eo);
    else if (!strcmp(verb, "run"))
        r = cmd_run(&co, detach);
    else if (!strcmp(verb, "update"))
        r = cmd_update(id, resources);
    else if (!strcmp(verb, "features"))
        r = cmd_features();
    else {
        fail(EINVAL, "usage", verb, "unknown command");
        r = -1;
    }
    if (r < 0) {
        log_error_obj(&g_err);
        return 1;
    }
    return r;
}
