/* nntrain predict CHECKPOINT.h5 --data FILE [--split SPLIT] [--out PRED.h5] [--set k=v ...] */
#include "nn/dist.h"
#include "cli/tools.h"

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    return nn_predict_main(opts, dist, err);
}

int nn_cmd_predict(const nn_command *cmd, int argc, char **argv, nn_error *err)
{
    nn_predict_options o = { 0 };
    const nn_option opts[] = {
        NN_OPT_VALUE("--data", "FILE",
                     "the samples: an .h5 data set (the split --split names), a .mat file or "
                     "IMAGES,LABELS (IDX files); required",
                     &o.data),
        NN_OPT_VALUE("--split", "SPLIT",
                     "the split of an .h5 data set: test (default), valid, train", &o.split),
        NN_OPT_VALUE("--out", "PRED.h5",
                     "where to write the predictions (default: pred_<split>.h5 next to the "
                     "checkpoint)",
                     &o.out),
        NN_OPT_SET(&o.overrides, &o.n_overrides),
    };
    const nn_cli c = { .cmd = cmd, NN_CLI_OPTS(opts), .first = &o.checkpoint };
    return nn_cli_run(&c, argc, argv, run, &o, err);
}
