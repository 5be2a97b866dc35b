/* nntrain pca CONFIG.ini [--k 8,16,32,64] [--out FILE.h5] [--set k=v ...] */
#include <errno.h>
#include <stdlib.h>

#include "nn/dist.h"
#include "nn/analysis.h"
#include "cli/tools.h"

/* "8,16,32" -> k[]: positive, increasing order not required, no repeats. */
static int parse_k(const char *s, void *opts, nn_error *err)
{
    nn_pca_options *o = opts;
    o->n_k = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || (*end && *end != ',') || errno || v < 1 || v > 1000000)
            return nn_fail(err, NN_E_CONFIG,
                           "pca: --k %s: expected positive integers separated "
                           "by commas (e.g. --k 8,16,32,64)",
                           s);
        if (o->n_k == NN_PCA_MAX_K)
            return nn_fail(err, NN_E_CONFIG, "pca: --k %s: at most %d values", s, NN_PCA_MAX_K);
        for (int i = 0; i < o->n_k; ++i)
            if (o->k[i] == v)
                return nn_fail(err, NN_E_CONFIG, "pca: --k %s: %lld is given twice", s, v);
        o->k[o->n_k++] = v;
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return nn_fail(err, NN_E_CONFIG, "pca: --k %s: trailing comma", s);
    }
    return o->n_k ? NN_OK : nn_fail(err, NN_E_CONFIG, "pca: --k needs at least one value");
}

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    return nn_pca_main(opts, dist, err);
}

int nn_cmd_pca(const nn_command *cmd, int argc, char **argv, nn_error *err)
{
    /* k = 32 by default: the code width of the 1024-32-32-32-1024 autoencoder */
    nn_pca_options o = { .n_k = 1, .k = { 32 } };
    const nn_option opts[] = {
        NN_OPT_PARSE("--k", "K,K,...", "code sizes to evaluate, e.g. 8,16,32,64 (default 32)",
                     parse_k, &o),
        NN_OPT_VALUE("--out", "PCA.h5", "where to save the model (default <out>/pca.h5)", &o.out),
        NN_OPT_SET(&o.overrides, &o.n_overrides),
    };
    const nn_cli c = { .cmd = cmd, NN_CLI_OPTS(opts), .first = &o.config_path };
    return nn_cli_run(&c, argc, argv, run, &o, err);
}
