/* nntrain pca CONFIG.ini [--k 8,16,32,64] [--out FILE.h5] [--set k=v ...] */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nn/dist.h"
#include "nn/analysis.h"
#include "cli/tools.h"

/* "8,16,32" -> k[]: positive, increasing order not required, no repeats. */
static int parse_k(const char *s, nn_pca_options *o, nn_error *err)
{
    o->n_k = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || (*end && *end != ',') || errno || v < 1 || v > 1000000)
            return nn_fail(err, NN_E_CONFIG, "pca: --k %s: expected positive integers separated "
                           "by commas (e.g. --k 8,16,32,64)", s);
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

static int parse(int argc, char **argv, nn_pca_options *o, const char **overrides, nn_error *err)
{
    memset(o, 0, sizeof *o);
    o->overrides = overrides;
    o->n_k = 1;
    o->k[0] = 32; /* the homework's code size */
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        int takes_value = !strcmp(a, "--k") || !strcmp(a, "--out") || !strcmp(a, "--set");
        if (takes_value && !next)
            return nn_fail(err, NN_E_CONFIG, "pca: %s needs a value (nntrain --help)", a);
        if (!strcmp(a, "--k")) {
            int rc = parse_k(next, o, err);
            if (rc)
                return rc;
        } else if (!strcmp(a, "--out")) {
            o->out = next;
        } else if (!strcmp(a, "--set")) {
            if (o->n_overrides == NN_MAX_OVERRIDES)
                return nn_fail(err, NN_E_CONFIG, "pca: too many --set options");
            overrides[o->n_overrides++] = next;
        } else if (a[0] == '-') {
            return nn_fail(err, NN_E_CONFIG, "pca: unknown option '%s' (nntrain --help)", a);
        } else if (o->config_path) {
            return nn_fail(err, NN_E_CONFIG, "pca: more than one config given");
        } else {
            o->config_path = a;
        }
        i += takes_value;
    }
    if (!o->config_path)
        return nn_fail(err, NN_E_CONFIG, "pca: no config given (nntrain --help)");
    return NN_OK;
}

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    return nn_pca_main(opts, dist, err);
}

int nn_cmd_pca(int argc, char **argv, nn_error *err)
{
    nn_pca_options o;
    const char *overrides[NN_MAX_OVERRIDES];
    int rc = parse(argc, argv, &o, overrides, err);
    if (rc) {
        nn_tools_report(rc, 0, err);
        return rc;
    }
    return nn_tools_run_mpi(&argc, &argv, run, &o, err);
}
