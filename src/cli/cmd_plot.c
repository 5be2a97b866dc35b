/* nntrain plot RUN_DIR ... | nntrain plot --compare RUN_DIR ... [--out FILE.png]
 * | nntrain plot --psnr-k PCA.h5 RUN_DIR ... [--split valid|test] [--out FILE.png]
 * Runs without MPI: figures are drawn from files by one process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/analysis.h"
#include "cli/tools.h"

int nn_cmd_plot(int argc, char **argv, nn_error *err)
{
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    if (!dirs)
        return nn_fail(err, NN_E_NOMEM, "out of memory");
    int n = 0, compare = 0, rc = NN_OK;
    const char *out = NULL, *pca = NULL, *split = "valid";
    for (int i = 1; i < argc && !rc; ++i) {
        if (strcmp(argv[i], "--compare") == 0)
            compare = 1;
        else if (strcmp(argv[i], "--psnr-k") == 0 && i + 1 < argc)
            pca = argv[++i];
        else if (strcmp(argv[i], "--split") == 0 && i + 1 < argc)
            split = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-')
            rc = nn_fail(err, NN_E_CONFIG, "plot: unknown option '%s' (nntrain --help)", argv[i]);
        else
            dirs[n++] = argv[i];
    }
    if (!rc && pca) { /* autoencoder runs (maybe none) against PCA */
        rc = nn_psnr_k_figure(out ? out : "psnr_k.png", pca, dirs, n,
                              split, stdout, err);
        free(dirs);
        nn_tools_report(rc, 0, err);
        return rc;
    }
    if (!rc && n == 0)
        rc = nn_fail(err, NN_E_CONFIG, "plot: no run folder given (nntrain --help)");
    if (!rc && compare) {
        out = out ? out : "compare.png";
        rc = nn_compare_figure(out, dirs, n, err);
        if (!rc)
            printf("figure: %s (and its _loss variant)\n", out);
    }
    for (int i = 0; !rc && !compare && i < n; ++i)
        rc = nn_run_figures(dirs[i], stdout, err);
    free(dirs);
    nn_tools_report(rc, 0, err);
    return rc;
}
