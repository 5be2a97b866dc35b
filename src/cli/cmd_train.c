/* nntrain CONFIG.ini [--set k=v ...] [--resume PATH|auto] [--summary] */
#include <stdio.h>
#include <string.h>

#include "nn/dist.h"
#include "nn/trainer.h"
#include "cli/tools.h"

typedef struct train_cli {
    nn_run_options run;
    const char *overrides[NN_MAX_OVERRIDES];
} train_cli;

/* The command line is checked before MPI starts: the same on every rank. */
static int parse(int argc, char **argv, train_cli *c, nn_error *err)
{
    memset(c, 0, sizeof *c);
    c->run.overrides = c->overrides;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--set") == 0 || strcmp(a, "--resume") == 0) {
            if (!next)
                return nn_fail(err, NN_E_CONFIG, "%s needs a value (nntrain --help)", a);
            if (a[2] == 's') {
                if (c->run.n_overrides == NN_MAX_OVERRIDES)
                    return nn_fail(err, NN_E_CONFIG, "too many --set options (at most %d)",
                                   NN_MAX_OVERRIDES);
                c->overrides[c->run.n_overrides++] = next;
            } else {
                c->run.resume = next;
            }
            ++i;
        } else if (strcmp(a, "--summary") == 0) {
            c->run.summary_only = 1;
        } else if (a[0] == '-') {
            return nn_fail(err, NN_E_CONFIG, "unknown option '%s' (nntrain --help)", a);
        } else if (c->run.config_path) {
            return nn_fail(err, NN_E_CONFIG, "more than one config given ('%s' and '%s')",
                           c->run.config_path, a);
        } else {
            c->run.config_path = a;
        }
    }
    if (!c->run.config_path)
        return nn_fail(err, NN_E_CONFIG, "no config file given (nntrain --help)");
    return NN_OK;
}

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    return nn_train_main(opts, dist, err);
}

int nn_cmd_train(int argc, char **argv, nn_error *err)
{
    train_cli c;
    int rc = parse(argc, argv, &c, err);
    if (rc) {
        nn_tools_report(rc, 0, err);
        return rc;
    }
    return nn_tools_run_mpi(&argc, &argv, run, &c.run, err);
}
