/* `nntrain pca CONFIG.ini --k 8,16,32,64`: PCA of the config's training set,
 * data-parallel. Each rank adds its contiguous share of the images into the
 * moments (sum of x x^T, sum of x, count), one allreduce combines them,
 * rank 0 diagonalises the covariance and broadcasts the directions, and the
 * validation and test PSNRs are computed like any evaluation: each rank a
 * share, the sums added over ranks. */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/analysis.h"
#include "nn/plot.h"
#include "nn/trainer.h"
#include "cli/tools.h"

/* This rank's share of d: a contiguous range of whole images, read in
 * chunks of up to max_batch images into t->x. */
typedef struct share {
    const nn_dataset *d;
    size_t next, end, chunk;
    size_t *idx; /* [chunk] */
} share;

static int share_begin(nn_trainer *t, const nn_dataset *d, share *s, nn_error *err)
{
    const size_t P = (size_t)t->dist.size, r = (size_t)t->dist.rank;
    *s = (share){
        .d = d, .next = d->n * r / P, .end = d->n * (r + 1) / P, .chunk = (size_t)t->net.max_batch
    };
    s->idx = nn_malloc(s->chunk * sizeof *s->idx, err);
    return s->idx ? NN_OK : NN_E_NOMEM;
}

/* The next chunk into t->x; returns its image count, 0 at the end. */
static size_t share_next(nn_trainer *t, share *s)
{
    size_t count = s->end - s->next < s->chunk ? s->end - s->next : s->chunk;
    for (size_t i = 0; i < count; ++i)
        s->idx[i] = s->next + i;
    s->next += count;
    if (count)
        nn_dataset_gather(s->d, s->idx, count, t->cfg.data.invert, t->x, NULL);
    return count;
}

/* The moments of this rank's share of the training set, summed over ranks. */
static int accumulate(nn_trainer *t, nn_pca_moments *mo, nn_error *err)
{
    const size_t D = t->train.dim;
    share s;
    int rc = share_begin(t, &t->train, &s, err);
    double *scratch = rc ? NULL : nn_malloc(s.chunk * D * sizeof *scratch, err);
    if (!rc)
        rc = nn_pca_moments_alloc(mo, (int64_t)D, err);
    rc = nn_dist_vote(rc ? rc : scratch ? NN_OK : NN_E_NOMEM, err);
    for (size_t count; !rc && (count = share_next(t, &s)) > 0;)
        nn_pca_moments_add(mo, t->x, (int64_t)count, scratch);
    if (!rc) /* the one allreduce of the fit: D*D + D + 1 doubles */
        nn_dist_sum_doubles(mo->buf, nn_pca_moments_size(mo));
    free(s.idx);
    free(scratch);
    return rc;
}

/* Rank 0 fits; every rank receives the same model. */
static int fit(nn_trainer *t, const nn_pca_options *o, nn_pca_model *m, nn_error *err)
{
    int64_t kmax = 0;
    for (int i = 0; i < o->n_k; ++i)
        kmax = o->k[i] > kmax ? o->k[i] : kmax;
    const int64_t D = (int64_t)t->train.dim;
    if (kmax > D)
        return nn_dist_vote(nn_fail(err, NN_E_CONFIG,
                                    "pca: --k %lld is more than the %lld "
                                    "pixels of an image",
                                    (long long)kmax, (long long)D),
                            err);
    nn_pca_moments mo = { 0, NULL };
    int rc = accumulate(t, &mo, err);
    if (!rc)
        rc = nn_dist_vote(nn_pca_model_alloc(m, D, kmax, err), err);
    if (!rc)
        rc = nn_dist_vote(t->dist.rank == 0 ? nn_pca_fit(&mo, m, err) : NN_OK, err);
    for (int i = 0; !rc && i < o->n_k; ++i)
        rc = nn_dist_vote(
            t->dist.rank == 0 ? nn_pca_projection_rank(m, o->k[i], &m->proj_rank[i], err) : NN_OK,
            err);
    nn_pca_moments_free(&mo);
    if (rc)
        return rc;
    nn_dist_bcast(m->mean, (size_t)D * sizeof(float), 0);
    nn_dist_bcast(m->components, (size_t)(kmax * D) * sizeof(float), 0);
    nn_dist_bcast(m->eigenvalues, (size_t)D * sizeof(double), 0);
    nn_dist_bcast(&m->cov_rank, sizeof m->cov_rank, 0);
    nn_dist_bcast(m->proj_rank, sizeof m->proj_rank, 0);
    m->n_train = (int64_t)t->train.n;
    m->height = t->train.h;
    m->width = t->train.w;
    m->n_k = o->n_k;
    memcpy(m->k, o->k, sizeof m->k);
    return NN_OK;
}

/* Mean PSNR of each k on d (NaN for an empty set). Collective. */
static int evaluate(nn_trainer *t, const nn_pca_model *m, const nn_dataset *d, double *psnr,
                    nn_error *err)
{
    for (int i = 0; i < m->n_k; ++i)
        psnr[i] = NAN;
    if (d->n == 0)
        return NN_OK;
    const size_t D = d->dim;
    share s;
    int rc = share_begin(t, d, &s, err);
    float *codes = rc ? NULL : nn_alloc_floats(s.chunk * (size_t)m->kmax, err);
    float *out = codes ? nn_alloc_floats(s.chunk * D, err) : NULL;
    rc = nn_dist_vote(out ? NN_OK : NN_E_NOMEM, err);
    double sums[NN_PCA_MAX_K + 1] = { 0 }; /* PSNR sum per k, then the count */
    for (size_t count; !rc && (count = share_next(t, &s)) > 0;) {
        nn_pca_encode(m, t->x, (int64_t)count, codes);
        for (int i = 0; i < m->n_k; ++i) {
            nn_pca_decode(m, m->k[i], codes, (int64_t)count, out);
            for (size_t s = 0; s < count; ++s)
                sums[i] += nn_psnr(t->x + s * D, out + s * D, D);
        }
        sums[NN_PCA_MAX_K] += (double)count;
    }
    if (!rc) {
        nn_dist_sum_doubles(sums, NN_PCA_MAX_K + 1);
        for (int i = 0; i < m->n_k; ++i)
            psnr[i] = sums[i] / sums[NN_PCA_MAX_K];
    }
    free(s.idx);
    nn_free_aligned(codes);
    nn_free_aligned(out);
    return rc;
}

static void print_report(const nn_trainer *t, const nn_pca_model *m)
{
    double total = 0.0;
    for (int64_t j = 0; j < m->dim; ++j)
        total += m->eigenvalues[j] > 0 ? m->eigenvalues[j] : 0;
    printf("PCA of %lld training images of %lld x %lld = %lld pixels (LAPACK dsyevd on the "
           "covariance): covariance rank %lld of %lld\n",
           (long long)m->n_train, (long long)m->height, (long long)m->width, (long long)m->dim,
           (long long)m->cov_rank, (long long)m->dim);
    printf("%5s %10s %18s %6s %12s %12s %12s\n", "k", "variance", "projection matrix", "rank",
           "parameters", "valid PSNR", "test PSNR");
    for (int i = 0; i < m->n_k; ++i) {
        double kept = 0.0;
        for (int64_t j = 0; j < m->k[i]; ++j)
            kept += m->eigenvalues[j];
        char shape[40], v[24] = "-", te[24] = "-";
        snprintf(shape, sizeof shape, "%lld x %lld", (long long)m->k[i], (long long)m->dim);
        if (!isnan(m->valid_psnr[i]))
            snprintf(v, sizeof v, "%.2f dB", m->valid_psnr[i]);
        if (!isnan(m->test_psnr[i]))
            snprintf(te, sizeof te, "%.2f dB", m->test_psnr[i]);
        printf("%5lld %9.1f%% %18s %6lld %12lld %12s %12s\n", (long long)m->k[i],
               total > 0 ? 100.0 * kept / total : NAN, shape, (long long)m->proj_rank[i],
               (long long)(m->k[i] * m->dim), v, te);
    }
    printf("(variance: share of the training set's variance the k directions keep; parameters: "
           "the k x %lld projection matrix, plus the %lld-pixel mean; PSNR: mean over images of "
           "10 log10(1 / MSE), peak 1)\n",
           (long long)m->dim, (long long)m->dim);
    (void)t;
}

/* Originals over PCA reconstructions at every k, for the first split with images. */
static int draw(nn_trainer *t, const nn_pca_model *m, const char *dir, nn_error *err)
{
    const nn_dataset *d = t->valid.n ? &t->valid : t->test.n ? &t->test : &t->train;
    const char *split = t->valid.n ? "valid" : t->test.n ? "test" : "train";
    size_t idx[12];
    const int n = nn_recon_pick(d, idx, 12), rows = 1 + m->n_k;
    const size_t D = d->dim;
    float *px = nn_alloc_floats((size_t)rows * n * D, err);
    float *codes = px ? nn_alloc_floats((size_t)n * m->kmax, err) : NULL;
    if (!codes) {
        nn_free_aligned(px);
        return NN_E_NOMEM;
    }
    nn_dataset_gather(d, idx, (size_t)n, t->cfg.data.invert, px, NULL);
    nn_pca_encode(m, px, n, codes);
    char labels[NN_PCA_MAX_K + 1][48], title[NN_PATH_LEN + 96], png[NN_PATH_LEN + 64];
    const char *row_labels[NN_PCA_MAX_K + 1], *cols[12];
    snprintf(labels[0], sizeof labels[0], "original");
    for (int i = 0; i < m->n_k; ++i) {
        nn_pca_decode(m, m->k[i], codes, n, px + (size_t)(i + 1) * n * D);
        snprintf(labels[i + 1], sizeof labels[i + 1], "PCA (k = %lld)", (long long)m->k[i]);
    }
    for (int i = 0; i < rows; ++i)
        row_labels[i] = labels[i];
    for (int j = 0; j < n; ++j)
        cols[j] = d->class_names[d->labels[idx[j]]];
    nn_image_rows g = { px, rows, n, d->h, d->w, row_labels, cols };
    snprintf(title, sizeof title, "%s: PCA reconstructions of %s images", t->cfg.train.out, split);
    snprintf(png, sizeof png, "%s/pca_recon_%s.png", dir, split);
    int rc = n > 0 ? nn_plot_image_rows(png, title, &g, err) : NN_OK;
    if (!rc && n > 0)
        printf("figure: %s\n", png);
    nn_free_aligned(px);
    nn_free_aligned(codes);
    return rc;
}

/* Rank 0: print, save pca.h5, draw. */
static int finish(nn_trainer *t, nn_pca_model *m, const char *path, nn_error *err)
{
    print_report(t, m);
    char *resolved = NULL;
    int rc = nn_config_resolved(&t->cfg, &resolved, err);
    m->config_text = resolved;
    snprintf(m->config_path, sizeof m->config_path, "%s", t->cfg.path);
    if (!rc)
        rc = nn_pca_save(path, m, err);
    if (!rc)
        printf("saved: %s\n", path);
    char dir[NN_PATH_LEN + 32];
    snprintf(dir, sizeof dir, "%s", path);
    if (!rc)
        rc = draw(t, m, dirname(dir), err);
    free(resolved);
    m->config_text = NULL;
    fflush(stdout);
    return rc;
}

int nn_pca_main(const nn_pca_options *o, const nn_dist *dist, nn_error *err)
{
    /* summary_only only stops setup from making the run folder: not needed
     * when pca.h5 goes elsewhere */
    nn_run_options run = { .config_path = o->config_path,
                           .overrides = o->overrides,
                           .n_overrides = o->n_overrides,
                           .summary_only = o->out != NULL };
    nn_trainer *t;
    int rc = nn_tools_trainer(&run, dist, 0, &t, err);
    if (rc)
        return rc;
    nn_pca_model m;
    memset(&m, 0, sizeof m);
    if (t->view.crop || t->view.flip || t->view.normalize) /* the same on every rank */
        rc = nn_fail(err, NN_E_CONFIG,
                     "%s: pca works on whole stored images: remove [data] crop, flip and "
                     "normalize",
                     o->config_path);
    if (!rc)
        rc = fit(t, o, &m, err);
    if (!rc)
        rc = evaluate(t, &m, &t->valid, m.valid_psnr, err);
    if (!rc)
        rc = evaluate(t, &m, &t->test, m.test_psnr, err);
    char path[NN_PATH_LEN + 32];
    if (o->out)
        snprintf(path, sizeof path, "%s", o->out);
    else
        snprintf(path, sizeof path, "%s/pca.h5", t->run_dir);
    if (!rc)
        rc = nn_dist_vote(dist->rank == 0 ? finish(t, &m, path, err) : NN_OK, err);
    nn_pca_model_free(&m);
    nn_tools_trainer_free(t);
    return rc;
}
