/* nntrain eval CHECKPOINT.h5 [--data SPLIT|FILE] [--set k=v ...] [--pca PCA.h5] */
#include "nn/dist.h"
#include "nn/trainer.h"
#include "cli/tools.h"

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    return nn_eval_main(opts, dist, err);
}

int nn_cmd_eval(const nn_command *cmd, int argc, char **argv, nn_error *err)
{
    nn_eval_options o = { 0 };
    const nn_option opts[] = {
        NN_OPT_VALUE("--data", "SPLIT|FILE",
                     "test (default), valid, train, FILE.mat, FILE.h5 "
                     "(its test split) or IMAGES,LABELS (IDX files)",
                     &o.data),
        NN_OPT_VALUE("--pca", "PCA.h5",
                     "autoencoders: add that file's PCA reconstructions to "
                     "the figure",
                     &o.pca),
        NN_OPT_SET(&o.overrides, &o.n_overrides),
    };
    const nn_cli c = { .cmd = cmd, NN_CLI_OPTS(opts), .first = &o.checkpoint };
    return nn_cli_run(&c, argc, argv, run, &o, err);
}
