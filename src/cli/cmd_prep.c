/* nntrain prep CONFIG.ini [--set section.key=value ...]
 * Runs without MPI: one process builds the data set file. */
#include <stdio.h>

#include "nn/ocr.h"
#include "cli/tools.h"
#include "nn/dataset.h"

typedef struct prep_options {
    const char *config;
    const char *const *overrides;
    int n_overrides;
} prep_options;

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    const prep_options *o = opts;
    (void)dist;
    return nn_prep_main(o->config, o->overrides, o->n_overrides, stdout, err);
}

int nn_cmd_prep(const nn_command *cmd, int argc, char **argv, nn_error *err)
{
    prep_options o = { 0 };
    const nn_option opts[] = {
        NN_OPT_SET(&o.overrides, &o.n_overrides),
        NN_OPT_TEXT("--help-config", "print the reference of every prep config key",
                    nn_prep_reference),
    };
    const nn_cli c = { .cmd = cmd, NN_CLI_OPTS(opts), .first = &o.config };
    return nn_cli_run(&c, argc, argv, run, &o, err);
}
