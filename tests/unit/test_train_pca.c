/* PCA arithmetic: data lying exactly in a k-dimensional affine subspace is
 * reconstructed exactly from k components (and not from fewer); the
 * directions are orthonormal with a fixed sign; moments added in parts
 * (what each MPI rank does before the allreduce) give the same model as
 * all at once; the ranks LAPACK reports. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "nn/analysis.h"
#include "nn/trainer.h"
#include "nn/core.h"
#include "testutil.h"

enum { N = 60, D = 20, K = 3 };

/* x_i = mu + sum_c z_ic a_c: N images of D pixels in a K-dim affine subspace. */
static void subspace_data(float *x)
{
    float a[K][D], mu[D];
    for (int j = 0; j < D; ++j) {
        mu[j] = 0.5f + 0.3f * (nn_rng_uniform(1, 0, (uint64_t)j) - 0.5f);
        for (int c = 0; c < K; ++c)
            a[c][j] = nn_rng_uniform(1, 1 + (uint64_t)c, (uint64_t)j) - 0.5f;
    }
    for (int i = 0; i < N; ++i)
        for (int j = 0; j < D; ++j) {
            float v = mu[j];
            for (int c = 0; c < K; ++c)
                v += (nn_rng_uniform(2, (uint64_t)c, (uint64_t)i) - 0.5f) * a[c][j];
            x[i * D + j] = v;
        }
}

/* Fit on x [n, D] added in `parts` pieces; kmax components. */
static void fit(const float *x, int n, int parts, int64_t kmax, nn_pca_model *m)
{
    nn_error err = { 0 };
    nn_pca_moments all;
    ck_assert_int_eq(nn_pca_moments_alloc(&all, D, &err), NN_OK);
    static double scratch[N * D];
    for (int p = 0; p < parts; ++p) {
        /* each part in its own moments, then summed: an allreduce by hand */
        nn_pca_moments part;
        ck_assert_int_eq(nn_pca_moments_alloc(&part, D, &err), NN_OK);
        int lo = n * p / parts, hi = n * (p + 1) / parts;
        nn_pca_moments_add(&part, x + lo * D, hi - lo, scratch);
        for (size_t i = 0; i < nn_pca_moments_size(&all); ++i)
            all.buf[i] += part.buf[i];
        nn_pca_moments_free(&part);
    }
    ck_assert_int_eq(nn_pca_model_alloc(m, D, kmax, &err), NN_OK);
    ck_assert_msg(nn_pca_fit(&all, m, &err) == NN_OK, "%s", err.msg);
    nn_pca_moments_free(&all);
}

/* Largest |x - reconstruction(x)| with the first k components. */
static double worst_error(const nn_pca_model *m, int64_t k, const float *x)
{
    static float codes[N * D], out[N * D];
    nn_pca_encode(m, x, N, codes);
    nn_pca_decode(m, k, codes, N, out);
    double worst = 0;
    for (int i = 0; i < N * D; ++i)
        worst = fmax(worst, fabs((double)out[i] - x[i]));
    return worst;
}

START_TEST(subspace_data_is_reconstructed_exactly)
{
    static float x[N * D];
    subspace_data(x);
    nn_pca_model m;
    fit(x, N, 1, 5, &m);
    ck_assert_int_eq(m.cov_rank, K);
    ck_assert_int_eq(m.n_train, N);
    ck_assert_double_lt(worst_error(&m, K, x), 1e-5);
    ck_assert_double_lt(worst_error(&m, 5, x), 1e-5);
    /* a check that can fail: one component fewer loses real variance */
    ck_assert_double_gt(worst_error(&m, K - 1, x), 1e-2);
    for (int j = K; j < D; ++j) /* nothing outside the subspace */
        ck_assert_double_lt(fabs(m.eigenvalues[j]), 1e-9 * m.eigenvalues[0]);
    for (int j = 1; j < D; ++j)
        ck_assert_double_ge(m.eigenvalues[j - 1], m.eigenvalues[j]);
    float codes[N * 5], out[N * D];
    nn_pca_encode(&m, x, N, codes);
    nn_pca_decode(&m, K, codes, N, out);
    for (int i = 0; i < N; ++i)
        ck_assert_double_ge(nn_psnr(x + i * D, out + i * D, D), 80.0);
    nn_pca_model_free(&m);
}
END_TEST

START_TEST(components_are_orthonormal_with_a_fixed_sign)
{
    static float x[N * D];
    subspace_data(x);
    nn_pca_model m;
    fit(x, N, 1, K, &m);
    for (int a = 0; a < K; ++a) {
        const float *u = m.components + a * D;
        int big = 0;
        for (int j = 1; j < D; ++j)
            big = fabsf(u[j]) > fabsf(u[big]) ? j : big;
        ck_assert_float_gt(u[big], 0.0f);
        for (int b = 0; b < K; ++b) {
            double dot = 0;
            for (int j = 0; j < D; ++j)
                dot += (double)u[j] * m.components[b * D + j];
            ck_assert_double_eq_tol(dot, a == b ? 1.0 : 0.0, 1e-5);
        }
    }
    nn_pca_model_free(&m);
}
END_TEST

/* Three parts (three ranks' shares) or one: the same model up to rounding. */
START_TEST(moments_in_parts_give_the_same_model)
{
    static float x[N * D];
    for (int i = 0; i < N * D; ++i) /* full-rank data: every direction matters */
        x[i] = nn_rng_uniform(9, 9, (uint64_t)i) * (1.0f + (float)(i % D) / D);
    nn_pca_model one, three;
    fit(x, N, 1, 6, &one);
    fit(x, N, 3, 6, &three);
    for (int j = 0; j < D; ++j)
        ck_assert_double_eq_tol(one.mean[j], three.mean[j], 1e-6);
    for (int a = 0; a < 6; ++a) {
        double dot = 0;
        for (int j = 0; j < D; ++j)
            dot += (double)one.components[a * D + j] * three.components[a * D + j];
        ck_assert_double_gt(fabs(dot), 1.0 - 1e-5); /* same direction, up to sign */
        ck_assert_double_eq_tol(one.eigenvalues[a], three.eigenvalues[a],
                                1e-9 * one.eigenvalues[0]);
    }
    ck_assert_int_eq(one.cov_rank, D);
    nn_pca_model_free(&one);
    nn_pca_model_free(&three);
}
END_TEST

START_TEST(projection_rank_and_errors)
{
    static float x[N * D];
    subspace_data(x);
    nn_pca_model m;
    fit(x, N, 1, 5, &m);
    nn_error err = { 0 };
    int64_t rank = -1;
    ck_assert_int_eq(nn_pca_projection_rank(&m, 5, &rank, &err), NN_OK);
    ck_assert_int_eq(rank, 5); /* orthonormal rows: full rank, beyond the data's 3 too */
    memcpy(m.components + 4 * D, m.components, D * sizeof(float)); /* row 4 = row 0 */
    ck_assert_int_eq(nn_pca_projection_rank(&m, 5, &rank, &err), NN_OK);
    ck_assert_int_eq(rank, 4);
    ck_assert_int_eq(nn_pca_projection_rank(&m, 6, &rank, &err), NN_E_STATE);
    nn_pca_moments one;
    ck_assert_int_eq(nn_pca_moments_alloc(&one, D, &err), NN_OK);
    static double scratch[D];
    nn_pca_moments_add(&one, x, 1, scratch);
    ck_assert_int_eq(nn_pca_fit(&one, &m, &err), NN_E_STATE); /* one image: no covariance */
    ck_assert_ptr_nonnull(strstr(err.msg, "at least 2"));
    nn_pca_moments_free(&one);
    nn_pca_model_free(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pca");
    TCase *tc = tcase_create("pca");
    tcase_add_test(tc, subspace_data_is_reconstructed_exactly);
    tcase_add_test(tc, components_are_orthonormal_with_a_fixed_sign);
    tcase_add_test(tc, moments_in_parts_give_the_same_model);
    tcase_add_test(tc, projection_rank_and_errors);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
