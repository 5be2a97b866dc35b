/* PSNR against code size k, autoencoders vs PCA (nn/recon_figures.h). */
#include "nn/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/runfiles.h"
#include "nn/plot.h"

#define MAX_RUNS 64

typedef struct ae_point {
    double k, psnr;
    long long params;
} ae_point;

static int by_k(const void *a, const void *b)
{
    const ae_point *x = a, *y = b;
    return (x->k > y->k) - (x->k < y->k);
}

static int read_runs(const char *const *dirs, int n, const char *split, ae_point *pts,
                     nn_error *err)
{
    for (int i = 0; i < n; ++i) {
        char path[2048];
        snprintf(path, sizeof path, "%s/recon_%s.h5", dirs[i], split);
        nn_recon_result r;
        int rc = nn_recon_load(path, &r, err);
        if (rc)
            return nn_fail_wrap(err,
                                "plot --psnr-k (make it with nntrain eval %s/checkpoint.h5 "
                                "--data %s)",
                                dirs[i], split);
        pts[i] = (ae_point){ (double)r.code_width, r.psnr, (long long)r.params };
        nn_recon_free(&r);
    }
    qsort(pts, (size_t)n, sizeof *pts, by_k);
    return NN_OK;
}

static void print_table(FILE *log, const nn_pca_model *m, const double *pca_psnr,
                        const ae_point *pts, int n, const char *split)
{
    fprintf(log, "%s PSNR (dB) against code size k:\n%6s %14s %12s %14s %12s\n", split, "k",
            "autoencoder", "parameters", "PCA", "parameters");
    for (int i = 0, j = 0; i < n || j < m->n_k;) {
        double ka = i < n ? pts[i].k : INFINITY, kp = j < m->n_k ? (double)m->k[j] : INFINITY;
        double k = ka < kp ? ka : kp;
        char a[32] = "-", ap[32] = "-", p[32] = "-", pp[32] = "-";
        if (ka == k) {
            snprintf(a, sizeof a, "%.2f", pts[i].psnr);
            snprintf(ap, sizeof ap, "%lld", pts[i].params);
            i++;
        }
        if (kp == k) {
            snprintf(p, sizeof p, "%.2f", pca_psnr[j]);
            snprintf(pp, sizeof pp, "%lld", (long long)(m->k[j] * m->dim));
            j++;
        }
        fprintf(log, "%6.0f %14s %12s %14s %12s\n", k, a, ap, p, pp);
    }
}

int nn_psnr_k_figure(const char *png_path, const char *pca_path, const char *const *run_dirs, int n,
                     const char *split, FILE *log, nn_error *err)
{
    if (strcmp(split, "valid") != 0 && strcmp(split, "test") != 0)
        return nn_fail(err, NN_E_CONFIG, "plot --psnr-k: --split must be valid or test, not '%s'",
                       split);
    if (n < 0 || n > MAX_RUNS)
        return nn_fail(err, NN_E_CONFIG, "plot --psnr-k: %d run folders (at most %d)", n, MAX_RUNS);
    nn_pca_model m;
    int rc = nn_pca_load(pca_path, &m, err);
    if (rc)
        return rc;
    ae_point pts[MAX_RUNS];
    rc = read_runs(run_dirs, n, split, pts, err);
    const double *pca_psnr = strcmp(split, "test") == 0 ? m.test_psnr : m.valid_psnr;
    double kx[NN_PCA_MAX_K], ax[MAX_RUNS], ay[MAX_RUNS];
    for (int j = 0; j < m.n_k; ++j)
        kx[j] = (double)m.k[j];
    for (int i = 0; i < n; ++i)
        ax[i] = pts[i].k, ay[i] = pts[i].psnr;
    nn_curve curves[2] = { { "PCA", kx, pca_psnr, m.n_k }, { "autoencoder", ax, ay, n } };
    char title[160], ylabel[64];
    snprintf(title, sizeof title, "autoencoder vs PCA: mean %s PSNR against code size",
             strcmp(split, "test") == 0 ? "test" : "validation");
    snprintf(ylabel, sizeof ylabel, "mean PSNR (dB)");
    if (!rc)
        rc = nn_plot_curves(png_path, title, "code size k (numbers per image)", ylabel, curves,
                            n > 0 ? 2 : 1, err);
    if (!rc && log) {
        print_table(log, &m, pca_psnr, pts, n, split);
        fprintf(log, "figure: %s\n", png_path);
    }
    nn_pca_model_free(&m);
    return rc;
}
