/* nntrain: the command line. Parses arguments, starts MPI, installs the
 * signal handlers, runs the trainer, and turns its result into an exit
 * status (the only place that decides how the program ends). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/config.h"
#include "nn/dist.h"
#include "nn/trainer.h"

/* Exit statuses (documented in the README). */
enum {
    EXIT_OK = 0,
    EXIT_ERROR = 1,       /* I/O, data or checkpoint problem */
    EXIT_USAGE = 2,       /* bad command line or config */
    EXIT_DIVERGED = 4,    /* loss became NaN/Inf */
    EXIT_REQUEUE = 75,    /* stopped by SIGTERM/SIGUSR1 after writing a checkpoint */
};

#define MAX_OVERRIDES 256

static const char usage[] =
    "usage: nntrain CONFIG.ini [--set section.key=value ...] [--resume CHECKPOINT.h5|auto]\n"
    "                          [--summary]\n"
    "       nntrain --help | --help-config | --version\n"
    "\n"
    "  --set s.k=v     override a config key (repeatable)\n"
    "  --resume PATH   continue a run from a checkpoint; 'auto' uses <out>/checkpoint.h5\n"
    "                  when it exists and starts afresh otherwise\n"
    "  --summary       print the network's layers and parameter counts, then stop\n"
    "  --help-config   print the reference of every config key\n"
    "\n"
    "exit status: 0 done, 1 error, 2 bad config or command line, 4 loss diverged,\n"
    "             75 stopped by SIGTERM/SIGUSR1 after a checkpoint (resume with --resume)\n";

typedef struct cli {
    nn_run_options run;
    const char *overrides[MAX_OVERRIDES];
    int done;          /* --help/--version handled, exit 0 */
} cli;

static int parse_cli(int argc, char **argv, cli *c, nn_error *err)
{
    memset(c, 0, sizeof *c);
    c->run.overrides = c->overrides;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            c->done = 1;
        } else if (strcmp(a, "--version") == 0) {
            printf("nntrain %s\n", NN_VERSION);
            c->done = 1;
        } else if (strcmp(a, "--help-config") == 0) {
            fputs(nn_config_reference(), stdout);
            c->done = 1;
        } else if (strcmp(a, "--set") == 0 || strcmp(a, "--resume") == 0) {
            if (!next)
                return nn_fail(err, NN_E_CONFIG, "%s needs a value\n\n%s", a, usage);
            if (a[2] == 's') {
                if (c->run.n_overrides == MAX_OVERRIDES)
                    return nn_fail(err, NN_E_CONFIG, "too many --set options (at most %d)", MAX_OVERRIDES);
                c->overrides[c->run.n_overrides++] = next;
            } else {
                c->run.resume = next;
            }
            ++i;
        } else if (strcmp(a, "--summary") == 0) {
            c->run.summary_only = 1;
        } else if (a[0] == '-') {
            return nn_fail(err, NN_E_CONFIG, "unknown option '%s'\n\n%s", a, usage);
        } else if (c->run.config_path) {
            return nn_fail(err, NN_E_CONFIG, "more than one config given ('%s' and '%s')",
                           c->run.config_path, a);
        } else {
            c->run.config_path = a;
        }
    }
    if (!c->done && !c->run.config_path)
        return nn_fail(err, NN_E_CONFIG, "no config file given\n\n%s", usage);
    return NN_OK;
}

static int exit_status(int code)
{
    switch (code) {
    case NN_OK: return EXIT_OK;
    case NN_E_CONFIG: return EXIT_USAGE;
    case NN_E_DIVERGED: return EXIT_DIVERGED;
    case NN_STOPPED: return EXIT_REQUEUE;
    default: return EXIT_ERROR;
    }
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nn_train_request_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

int main(int argc, char **argv)
{
    nn_error err = { 0 };
    cli c;
    /* The command line is checked before MPI starts: the same on every rank. */
    int rc = parse_cli(argc, argv, &c, &err);
    if (rc || c.done) {
        if (rc)
            fprintf(stderr, "nntrain: %s\n", err.msg);
        return exit_status(rc);
    }
    nn_dist dist;
    if (nn_dist_init(&argc, &argv, &dist) != 0) {
        fprintf(stderr, "nntrain: MPI failed to start\n");
        return EXIT_ERROR;
    }
    install_signal_handlers();
    rc = nn_train_main(&c.run, &dist, &err);
    /* Collective errors are reported by rank 0 only; a rank-local one (its
     * own file failed to read, say) names the rank. */
    if (rc && rc != NN_STOPPED && err.msg[0]) {
        if (dist.rank != 0)
            fprintf(stderr, "nntrain: rank %d: %s\n", dist.rank, err.msg);
        else
            fprintf(stderr, "nntrain: %s\n", err.msg);
    }
    nn_dist_finalize();
    return exit_status(rc);
}
