/* nntrain CONFIG.ini [--set k=v ...] [--resume PATH|auto] [--summary] */
#include "nn/config.h"
#include "nn/dist.h"
#include "nn/trainer.h"
#include "cli/tools.h"

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    return nn_train_main(opts, dist, err);
}

/* The command line is checked before MPI starts: the same on every rank. */
int nn_cmd_train(const nn_command *cmd, int argc, char **argv, nn_error *err)
{
    nn_run_options o = { 0 };
    const nn_option opts[] = {
        NN_OPT_SET(&o.overrides, &o.n_overrides),
        NN_OPT_VALUE("--resume", "PATH|auto",
                     "continue a run from a checkpoint; 'auto' takes "
                     "the newest of <out>/checkpoint.h5 and the older ones beside it that "
                     "verifies, or starts afresh",
                     &o.resume),
        NN_OPT_FLAG("--summary", "print the network's layers and parameter counts, then stop",
                    &o.summary_only),
        NN_OPT_TEXT("--help-config", "print the reference of every config key",
                    nn_config_reference),
    };
    const nn_cli c = { .cmd = cmd, NN_CLI_OPTS(opts), .first = &o.config_path };
    return nn_cli_run(&c, argc, argv, run, &o, err);
}
