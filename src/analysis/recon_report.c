/* The autoencoder's report after training and for `nntrain eval`: loss and
 * PSNR of one split (overall and per class), the parameter count (every
 * weight and bias), recon_<split>.h5, and a figure of originals over
 * their reconstructions (plus PCA's, given a pca.h5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/analysis.h"
#include "nn/plot.h"
#include "nn/runfiles.h"
#include "nn/trainer.h"

#define FIG_COLS 12 /* images in the figure, from as many classes */

/* Parameters of the network: weights (W) and biases (b) counted apart. */
static void count_params(const nn_network *net, int64_t *weights, int64_t *biases)
{
    *weights = *biases = 0;
    for (int i = 0; i < net->n_layers; ++i)
        for (int k = 0; k < net->layers[i].n_params; ++k) {
            const nn_param *p = &net->layers[i].params[k];
            *(strcmp(p->name, "b") == 0 ? biases : weights) += (int64_t)p->size;
        }
}

static void print_report(const nn_trainer *t, const nn_dataset *d, const nn_recon_result *r)
{
    printf("%s: loss %.5f  PSNR %.2f dB  (%lld images; loss = mean squared error per pixel, "
           "PSNR = mean over images of 10 log10(1 / MSE))\n",
           r->split, r->loss, r->psnr, (long long)r->count);
    printf("PSNR per class (dB):");
    for (int k = 0; k < d->num_classes; ++k) {
        double s = 0.0;
        size_t n = 0;
        for (size_t i = 0; i < d->n; ++i)
            if (d->labels[i] == k)
                s += r->image_psnr[i], n++;
        if (n)
            printf("%s %s %.2f", k % 10 ? "" : "\n ", d->class_names[k], s / (double)n);
    }
    int64_t w, b;
    count_params(&t->net, &w, &b);
    printf("\nautoencoder: %lld parameters (%lld weights + %lld biases), code width %lld\n",
           (long long)(w + b), (long long)w, (long long)b, (long long)r->code_width);
}

/* The PCA row of the figure: pca.h5's reconstructions at k = the code width. */
static int pca_row(const char *pca_path, const nn_recon_result *r, const float *orig, int n,
                   size_t D, float *out, char *label, size_t label_len, char *note, size_t note_len,
                   nn_error *err)
{
    nn_pca_model m;
    int rc = nn_pca_load(pca_path, &m, err);
    if (!rc && (size_t)m.dim != D)
        rc = nn_fail(err, NN_E_CONFIG, "%s: PCA of %lld pixels, the autoencoder's images have %zu",
                     pca_path, (long long)m.dim, D);
    if (!rc && r->code_width > m.kmax)
        rc = nn_fail(err, NN_E_CONFIG,
                     "%s: %lld components stored, the autoencoder's code has "
                     "%lld numbers; run nntrain pca with --k %lld",
                     pca_path, (long long)m.kmax, (long long)r->code_width,
                     (long long)r->code_width);
    float *codes = rc ? NULL : nn_alloc_floats((size_t)(n * m.kmax), err);
    if (!rc && !codes)
        rc = NN_E_NOMEM;
    if (!rc) {
        nn_pca_encode(&m, orig, n, codes);
        nn_pca_decode(&m, r->code_width, codes, n, out);
        snprintf(label, label_len, "PCA (k = %lld)", (long long)r->code_width);
        double psnr = NAN;
        for (int i = 0; i < m.n_k; ++i)
            if (m.k[i] == r->code_width)
                psnr = strcmp(r->split, "test") == 0 ? m.test_psnr[i] : m.valid_psnr[i];
        if (!isnan(psnr) && (!strcmp(r->split, "test") || !strcmp(r->split, "valid"))) {
            snprintf(note, note_len, ", PCA %.2f dB", psnr);
            printf("PCA k = %lld (%s): %s PSNR %.2f dB, %lld parameters (%lld x %lld projection)\n",
                   (long long)r->code_width, pca_path, r->split, psnr,
                   (long long)(r->code_width * m.dim), (long long)r->code_width, (long long)m.dim);
        }
    }
    nn_free_aligned(codes);
    nn_pca_model_free(&m);
    return rc;
}

/* Originals, reconstructions (and PCA's) of up to FIG_COLS images. Rank 0 only. */
static int draw_figure(nn_trainer *t, const nn_dataset *d, const nn_recon_result *r,
                       const char *dir, const char *pca_path, nn_error *err)
{
    size_t idx[FIG_COLS];
    const int n = nn_recon_pick(d, idx, FIG_COLS);
    const size_t D = t->net.in_dim;
    if (n < 1)
        return NN_OK;
    float *px = nn_alloc_floats(3 * (size_t)n * D, err);
    if (!px)
        return NN_E_NOMEM;
    nn_dataset_gather(d, idx, (size_t)n, t->cfg.data.invert, px, NULL);
    memcpy(t->x, px, (size_t)n * D * sizeof(float));
    memcpy(px + (size_t)n * D, nn_network_forward(&t->net, t->x, n), (size_t)n * D * sizeof(float));
    char pca_label[64] = "", note[64] = "", ae_label[64], title[NN_PATH_LEN + 160],
         png[NN_PATH_LEN + 64];
    int rc = pca_path ? pca_row(pca_path, r, px, n, D, px + 2 * (size_t)n * D, pca_label,
                                sizeof pca_label, note, sizeof note, err)
                      : NN_OK;
    const char *cols[FIG_COLS];
    for (int j = 0; j < n; ++j)
        cols[j] = d->class_names[d->labels[idx[j]]];
    snprintf(ae_label, sizeof ae_label, "autoencoder (k = %lld)", (long long)r->code_width);
    const char *rows[3] = { "original", ae_label, pca_label };
    nn_image_rows g = { px, pca_path ? 3 : 2, n, d->h, d->w, rows, cols };
    snprintf(title, sizeof title, "%s: %s images; mean PSNR autoencoder %.2f dB%s",
             t->cfg.train.out, r->split, r->psnr, note);
    snprintf(png, sizeof png, "%s/recon_%s.png", dir, r->split);
    if (!rc)
        rc = nn_plot_image_rows(png, title, &g, err);
    if (!rc)
        printf("figure: %s\n", png);
    nn_free_aligned(px);
    return rc;
}

static int save_and_draw(nn_trainer *t, const nn_dataset *d, const nn_recon_result *r,
                         const char *dir, const char *pca_path, nn_error *err)
{
    print_report(t, d, r);
    char path[NN_PATH_LEN + 64];
    snprintf(path, sizeof path, "%s/recon_%s.h5", dir, r->split);
    int rc = nn_recon_save(path, r, err);
    if (!rc)
        printf("saved: %s\n", path);
    if (!rc)
        rc = draw_figure(t, d, r, dir, pca_path, err);
    fflush(stdout);
    return rc;
}

int nn_trainer_recon_report(nn_trainer *t, const nn_dataset *d, const char *split,
                            const char *checkpoint, const char *dir, const char *pca_path,
                            nn_error *err)
{
    nn_recon_result r;
    memset(&r, 0, sizeof r);
    r.image_psnr = nn_malloc((d->n ? d->n : 1) * sizeof *r.image_psnr, err);
    int rc = nn_dist_vote(r.image_psnr ? NN_OK : NN_E_NOMEM, err);
    nn_recon_sums s = { 0, 0, 0 };
    if (!rc)
        rc = nn_trainer_evaluate_recon(t, d, &s, r.image_psnr, err);
    if (!rc) {
        snprintf(r.split, sizeof r.split, "%s", split);
        snprintf(r.checkpoint, sizeof r.checkpoint, "%s", checkpoint ? checkpoint : "");
        r.loss = s.count > 0 ? s.loss / s.count : NAN;
        r.psnr = s.count > 0 ? s.psnr / s.count : NAN;
        r.count = (int64_t)s.count;
        r.code_width = nn_trainer_code_width(t);
        int64_t w, b;
        count_params(&t->net, &w, &b);
        r.params = w + b;
        rc = nn_dist_vote(t->dist.rank == 0 ? save_and_draw(t, d, &r, dir, pca_path, err) : NN_OK,
                          err);
    }
    nn_recon_free(&r);
    return rc;
}
