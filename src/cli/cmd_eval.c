/* nntrain eval CHECKPOINT.h5 [--data SPLIT|FILE] [--set k=v ...] [--pca PCA.h5] */
#include <string.h>

#include "nn/dist.h"
#include "nn/trainer.h"
#include "cli/tools.h"

static int parse(int argc, char **argv, nn_eval_options *o, const char **overrides, nn_error *err)
{
    memset(o, 0, sizeof *o);
    o->overrides = overrides;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--data") == 0 || strcmp(a, "--set") == 0 || strcmp(a, "--pca") == 0) {
            if (!next)
                return nn_fail(err, NN_E_CONFIG, "eval: %s needs a value (nntrain --help)", a);
            if (a[2] == 'd')
                o->data = next;
            else if (a[2] == 'p')
                o->pca = next;
            else if (o->n_overrides == NN_MAX_OVERRIDES)
                return nn_fail(err, NN_E_CONFIG, "eval: too many --set options");
            else
                overrides[o->n_overrides++] = next;
            ++i;
        } else if (a[0] == '-') {
            return nn_fail(err, NN_E_CONFIG, "eval: unknown option '%s' (nntrain --help)", a);
        } else if (o->checkpoint) {
            return nn_fail(err, NN_E_CONFIG, "eval: more than one checkpoint given");
        } else {
            o->checkpoint = a;
        }
    }
    if (!o->checkpoint)
        return nn_fail(err, NN_E_CONFIG, "eval: no checkpoint given (nntrain --help)");
    return NN_OK;
}

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    return nn_eval_main(opts, dist, err);
}

int nn_cmd_eval(int argc, char **argv, nn_error *err)
{
    nn_eval_options o;
    const char *overrides[NN_MAX_OVERRIDES];
    int rc = parse(argc, argv, &o, overrides, err);
    if (rc) {
        nn_tools_report(rc, 0, err);
        return rc;
    }
    return nn_tools_run_mpi(&argc, &argv, run, &o, err);
}
