/* PCA arithmetic: moments, the eigendecomposition (LAPACK), encode/decode.
 * No MPI here: nn_pca_main adds the moments over ranks. */
#include "nn/analysis.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/core.h"

int nn_pca_moments_alloc(nn_pca_moments *mo, int64_t dim, nn_error *err)
{
    mo->dim = dim;
    mo->buf = nn_calloc((size_t)(dim * dim + dim + 1), sizeof(double), err);
    return mo->buf ? NN_OK : NN_E_NOMEM;
}

void nn_pca_moments_free(nn_pca_moments *mo)
{
    free(mo->buf);
    mo->buf = NULL;
}

size_t nn_pca_moments_size(const nn_pca_moments *mo)
{
    return (size_t)(mo->dim * mo->dim + mo->dim + 1);
}

void nn_pca_moments_add(nn_pca_moments *mo, const float *x, int64_t B, double *scratch)
{
    const int64_t D = mo->dim;
    double *xtx = mo->buf, *sum = mo->buf + D * D, *count = sum + D;
    for (int64_t i = 0; i < B * D; ++i)
        scratch[i] = x[i];
    nn_dsyrk_ata(scratch, (long)B, (long)D, xtx);
    for (int64_t r = 0; r < B; ++r)
        for (int64_t j = 0; j < D; ++j)
            sum[j] += scratch[r * D + j];
    *count += (double)B;
}

/* Flip v [n] so that its largest-magnitude entry (the first on ties) is positive. */
static void fix_sign(float *v, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
        if (fabsf(v[i]) > fabsf(v[best]))
            best = i;
    if (v[best] < 0)
        for (int64_t i = 0; i < n; ++i)
            v[i] = -v[i];
}

/* cov [D, D] (lower triangle) from the moments: (S - n mu mu^T) / (n - 1). */
static void covariance(const nn_pca_moments *mo, const double *mu, double n, double *cov)
{
    const int64_t D = mo->dim;
    for (int64_t i = 0; i < D; ++i)
        for (int64_t j = 0; j <= i; ++j)
            cov[i * D + j] = (mo->buf[i * D + j] - n * mu[i] * mu[j]) / (n - 1.0);
}

int nn_pca_fit(const nn_pca_moments *mo, nn_pca_model *m, nn_error *err)
{
    const int64_t D = mo->dim;
    const double n = mo->buf[D * D + D];
    if (m->dim != D || m->kmax < 1 || m->kmax > D)
        return nn_fail(err, NN_E_STATE, "PCA: model for %lld pixels, moments for %lld",
                       (long long)m->dim, (long long)D);
    if (n < 2)
        return nn_fail(err, NN_E_STATE, "PCA needs at least 2 training images, got %.0f", n);
    double *mu = nn_malloc((size_t)D * sizeof *mu, err);
    double *cov = mu ? nn_calloc((size_t)(D * D), sizeof *cov, err) : NULL;
    double *w = cov ? nn_malloc((size_t)D * sizeof *w, err) : NULL;
    int rc = w ? NN_OK : NN_E_NOMEM;
    if (!rc) {
        for (int64_t j = 0; j < D; ++j)
            mu[j] = mo->buf[D * D + j] / n;
        covariance(mo, mu, n, cov);
        /* eigenvalues ascending in w; eigenvector j is column j of cov */
        lapack_int info =
            LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'L', (lapack_int)D, cov, (lapack_int)D, w);
        if (info != 0)
            rc = nn_fail(err, NN_E_STATE,
                         "PCA: LAPACK dsyevd failed (info %d) on the %lld x %lld "
                         "covariance",
                         (int)info, (long long)D, (long long)D);
    }
    if (!rc) {
        for (int64_t j = 0; j < D; ++j) {
            m->mean[j] = (float)mu[j];
            m->eigenvalues[j] = w[D - 1 - j];
        }
        for (int64_t r = 0; r < m->kmax; ++r) {
            float *row = m->components + r * D;
            for (int64_t i = 0; i < D; ++i)
                row[i] = (float)cov[i * D + (D - 1 - r)];
            fix_sign(row, D);
        }
        const double tol = (double)D * DBL_EPSILON * fmax(m->eigenvalues[0], 0.0);
        m->cov_rank = 0;
        for (int64_t j = 0; j < D; ++j)
            m->cov_rank += m->eigenvalues[j] > tol;
        m->n_train = (int64_t)n;
    }
    free(mu);
    free(cov);
    free(w);
    return rc;
}

int nn_pca_projection_rank(const nn_pca_model *m, int64_t k, int64_t *rank, nn_error *err)
{
    const int64_t D = m->dim;
    if (k < 1 || k > m->kmax)
        return nn_fail(err, NN_E_STATE, "PCA: k = %lld but %lld components are stored",
                       (long long)k, (long long)m->kmax);
    double *a = nn_malloc((size_t)(k * D) * sizeof *a, err);
    double *s = a ? nn_malloc((size_t)k * sizeof *s, err) : NULL;
    int rc = s ? NN_OK : NN_E_NOMEM;
    if (!rc) {
        for (int64_t i = 0; i < k * D; ++i)
            a[i] = m->components[i];
        lapack_int info =
            LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'N', (lapack_int)k, (lapack_int)D, a, (lapack_int)D, s,
                           NULL, (lapack_int)k, NULL, (lapack_int)D);
        if (info != 0)
            rc = nn_fail(err, NN_E_STATE, "PCA: LAPACK dgesdd failed (info %d)", (int)info);
    }
    if (!rc) {
        /* the components are stored as float32: rounding at FLT_EPSILON */
        const double tol = (double)(k > D ? k : D) * FLT_EPSILON * s[0];
        *rank = 0;
        for (int64_t i = 0; i < k; ++i)
            *rank += s[i] > tol;
    }
    free(a);
    free(s);
    return rc;
}

void nn_pca_encode(const nn_pca_model *m, const float *x, int64_t B, float *codes)
{
    const int64_t D = m->dim, K = m->kmax;
    /* codes = x C^T - (mean C^T), the mean's code subtracted from each row */
    nn_gemm(1.0f, nn_mat_rm((float *)x, (long)B, (long)D),
            nn_mat_t(nn_mat_rm(m->components, (long)K, (long)D)), 0.0f,
            nn_mat_rm(codes, (long)B, (long)K));
    for (int64_t c = 0; c < K; ++c) {
        const float *row = m->components + c * D;
        double mc = 0.0;
        for (int64_t j = 0; j < D; ++j)
            mc += (double)row[j] * m->mean[j];
        for (int64_t r = 0; r < B; ++r)
            codes[r * K + c] -= (float)mc;
    }
}

void nn_pca_decode(const nn_pca_model *m, int64_t k, const float *codes, int64_t B, float *out)
{
    const int64_t D = m->dim, K = m->kmax;
    for (int64_t r = 0; r < B; ++r)
        memcpy(out + r * D, m->mean, (size_t)D * sizeof(float));
    /* codes[:, :k] is a view with row stride K */
    nn_mat c = { (float *)codes, (long)B, (long)k, (long)K, 1 };
    nn_gemm(1.0f, c, nn_mat_rm(m->components, (long)k, (long)D), 1.0f,
            nn_mat_rm(out, (long)B, (long)D));
}
