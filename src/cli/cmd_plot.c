/* nntrain plot RUN_DIR ... | nntrain plot --compare RUN_DIR ... [--out FILE.png]
 * | nntrain plot --psnr-k PCA.h5 RUN_DIR ... [--split valid|test] [--out FILE.png]
 * Runs without MPI: figures are drawn from files by one process. */
#include <stdio.h>

#include "nn/analysis.h"
#include "cli/tools.h"

typedef struct plot_options {
    const char *const *dirs;
    int n, compare;
    const char *out, *pca, *split;
} plot_options;

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    const plot_options *o = opts;
    (void)dist;
    if (o->pca) /* autoencoder runs (maybe none) against PCA */
        return nn_psnr_k_figure(o->out ? o->out : "psnr_k.png", o->pca, o->dirs, o->n, o->split,
                                stdout, err);
    if (o->n == 0)
        return nn_fail(err, NN_E_CONFIG, "plot: no run folder given (nntrain plot --help)");
    if (o->compare) {
        const char *out = o->out ? o->out : "compare.png";
        int rc = nn_compare_figure(out, o->dirs, o->n, err);
        if (!rc)
            printf("figure: %s (and its _loss variant)\n", out);
        return rc;
    }
    int rc = NN_OK;
    for (int i = 0; !rc && i < o->n; ++i)
        rc = nn_run_figures(o->dirs[i], stdout, err);
    return rc;
}

int nn_cmd_plot(const nn_command *cmd, int argc, char **argv, nn_error *err)
{
    plot_options o = { .split = "valid" };
    const nn_option opts[] = {
        NN_OPT_FLAG("--compare", "the validation curves of several runs in one figure", &o.compare),
        NN_OPT_VALUE("--psnr-k", "PCA.h5",
                     "PSNR against code size k for PCA and autoencoder "
                     "runs",
                     &o.pca),
        NN_OPT_VALUE("--split", "valid|test", "the split --psnr-k compares (default valid)",
                     &o.split),
        NN_OPT_VALUE("--out", "FILE.png", "the figure (default compare.png or psnr_k.png)", &o.out),
    };
    const nn_cli c = { .cmd = cmd, NN_CLI_OPTS(opts), .rest = &o.dirs, .n_rest = &o.n };
    return nn_cli_run(&c, argc, argv, run, &o, err);
}
