/* nn_gemm and nn_gemm_1t against a plain triple loop (in double), over the
 * shapes and strides the layers use: BLIS's path, the small-width dot
 * products and the small-inner-dimension row combinations, the thin-operand
 * kernel of the dense layers, transposed views, alpha and beta, and empty
 * dimensions; and the same bits on 1 and 2 threads. */
#include <blis.h>
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/core.h"
#include "testutil.h"

typedef struct shape_case {
    long m, n, k;
    int a_t, b_t, c_t; /* operand stored transposed (view through strides) */
    float alpha, beta;
} shape_case;

static const shape_case cases[] = {
    { 64, 196, 288, 0, 0, 0, 1.0f, 0.0f }, /* conv forward (BLIS) */
    { 64, 288, 196, 0, 1, 0, 1.0f, 1.0f }, /* conv weight gradient, col^T view */
    { 288, 196, 64, 1, 0, 0, 1.0f, 0.0f }, /* conv data gradient, W^T view */
    { 32, 9, 784, 0, 1, 0, 1.0f, 1.0f },   /* 1-channel 3x3 weight gradient: dot products */
    { 33, 9, 784, 0, 1, 0, 0.5f, 0.25f },  /* ... with a row count not a multiple of 4 */
    { 3, 16, 100, 0, 1, 0, 1.0f, 0.0f },   /* ... fewer rows than one block */
    { 32, 784, 9, 0, 0, 0, 1.0f, 1.0f },   /* 1-channel 3x3 forward: row combinations */
    { 7, 200, 16, 1, 0, 0, -2.0f, 0.5f },  /* ... A transposed, beta not 0 or 1 */
    { 32, 9, 784, 0, 0, 0, 1.0f, 0.0f },   /* small width but B not column-contiguous: BLIS */
    { 32, 784, 9, 0, 0, 1, 1.0f, 0.0f },   /* small k but C transposed: BLIS */
    /* nn_gemm's thin-operand kernel (gemm_thin.c): the dense layers' products */
    { 32, 64, 1024, 0, 0, 0, 1.0f, 1.0f },  /* MLP hidden forward, bias already in C */
    { 1024, 64, 32, 1, 0, 0, 1.0f, 0.0f },  /* its weight gradient, X^T view */
    { 32, 64, 36, 0, 1, 0, 1.0f, 0.0f },    /* output dX = dZ . W^T: column-major B */
    { 33, 37, 300, 0, 0, 0, 0.5f, 0.25f },  /* partial tiles, k over one 256 block */
    { 13, 200, 70, 0, 1, 0, -2.0f, 1.0f },  /* column-major B over several column tiles */
    { 64, 130, 600, 0, 0, 0, 1.0f, 0.0f },  /* split over threads by column tiles */
    { 64, 128, 3136, 0, 0, 0, 1.0f, 1.0f }, /* CNN fc1 forward: last inner block 448 */
    { 64, 300, 128, 0, 1, 0, 1.0f, 1.0f },  /* fc1's dX, added to a gradient (beta 1) */
    { 2000, 20, 64, 1, 0, 0, 1.0f, 0.5f },  /* one column tile: split by rows */
    { 70, 20, 64, 1, 0, 1, 1.0f, 0.0f },    /* C transposed: BLIS */
    /* nn_gemm_1t's thin kernel: the convolutions' products (one side <= 64) */
    { 64, 896, 32, 0, 0, 0, 1.0f, 0.0f },   /* Winograd forward M_e = U_e . V_e */
    { 64, 32, 896, 0, 1, 0, 1.0f, 1.0f },   /* Winograd dW: dU_e += dM_e . V_e^T */
    { 288, 64, 784, 0, 1, 0, 1.0f, 1.0f },  /* im2col dW^T += col . dZ^T: 64 columns */
    { 96, 70, 130, 0, 0, 0, 1.0f, 0.0f },   /* 70 columns, 96 rows: no side <= 64, BLIS */
    { 5, 6, 0, 0, 0, 0, 1.0f, 0.5f },       /* k = 0: C = beta C */
    { 0, 6, 4, 0, 0, 0, 1.0f, 0.0f },       /* no rows */
};

/* A [rows, cols] stored row-major, or transposed (column-major) when t. */
static nn_mat make(float *buf, long rows, long cols, int t, uint64_t stream)
{
    for (long i = 0; i < rows * cols; ++i)
        buf[i] = 2.0f * nn_rng_uniform(9, stream, (uint64_t)i) - 1.0f;
    nn_mat m = { buf, rows, cols, t ? 1 : cols, t ? rows : 1 };
    return m;
}

static float at(nn_mat m, long i, long j) { return m.data[i * m.rs + j * m.cs]; }

static void check_case(const shape_case *c, int one_thread)
{
    float *a = malloc(sizeof(float) * (size_t)(c->m * c->k + 1));
    float *b = malloc(sizeof(float) * (size_t)(c->k * c->n + 1));
    float *cc = malloc(sizeof(float) * (size_t)(c->m * c->n + 1));
    double *want = malloc(sizeof(double) * (size_t)(c->m * c->n + 1));
    nn_mat A = make(a, c->m, c->k, c->a_t, 1), B = make(b, c->k, c->n, c->b_t, 2);
    nn_mat C = make(cc, c->m, c->n, c->c_t, 3);
    for (long i = 0; i < c->m; ++i)
        for (long j = 0; j < c->n; ++j) {
            double s = 0;
            for (long p = 0; p < c->k; ++p)
                s += (double)at(A, i, p) * at(B, p, j);
            want[i * c->n + j] = c->alpha * s + c->beta * (double)at(C, i, j);
        }
    if (one_thread)
        nn_gemm_1t(c->alpha, A, B, c->beta, C);
    else
        nn_gemm(c->alpha, A, B, c->beta, C);
    for (long i = 0; i < c->m; ++i)
        for (long j = 0; j < c->n; ++j) {
            const double w = want[i * c->n + j], got = at(C, i, j);
            ck_assert_msg(fabs(got - w) <= 1e-4 * (1 + fabs(w)) + 1e-5 * c->k,
                          "%ldx%ldx%ld (%s): C(%ld, %ld) = %g, want %g", c->m, c->n, c->k,
                          one_thread ? "1t" : "blis", i, j, got, w);
        }
    free(a), free(b), free(cc), free(want);
}

START_TEST(gemm_1t_matches_reference) { check_case(&cases[_i], 1); }
END_TEST

START_TEST(gemm_matches_reference) { check_case(&cases[_i], 0); }
END_TEST

/* The thin kernel splits a product over threads by rows or columns; every
 * element is summed in the same order either way, so 1 and 2 threads give
 * the same bits (rank-invariance and determinism depend on it). */
START_TEST(gemm_threads_same_bits)
{
    const shape_case *c = &cases[_i];
    const size_t cn = (size_t)(c->m * c->n + 1);
    float *a = malloc(sizeof(float) * (size_t)(c->m * c->k + 1));
    float *b = malloc(sizeof(float) * (size_t)(c->k * c->n + 1));
    float *out[2] = { malloc(sizeof(float) * cn), malloc(sizeof(float) * cn) };
    nn_mat A = make(a, c->m, c->k, c->a_t, 1), B = make(b, c->k, c->n, c->b_t, 2);
    for (int t = 0; t < 2; ++t) {
        nn_set_threads(t + 1);
        nn_gemm(c->alpha, A, B, c->beta, make(out[t], c->m, c->n, c->c_t, 3));
    }
    nn_set_threads(2);
    ck_assert_msg(memcmp(out[0], out[1], sizeof(float) * (size_t)(c->m * c->n)) == 0,
                  "%ldx%ldx%ld: 1 and 2 threads differ", c->m, c->n, c->k);
    free(a), free(b), free(out[0]), free(out[1]);
}
END_TEST

/* With alpha = 1 and beta 0 or 1 (the dense layers' products) the thin
 * kernel sums in BLIS's blocks and order: the same bits as BLIS's 'skx'
 * kernels, which keeps the agreement with PyTorch on the same BLIS
 * (tests/system/torch_agreement.py) as close as before. Other kernel
 * families sum differently; the check is for 'skx' only. */
START_TEST(gemm_thin_matches_blis_bits)
{
    if (strcmp(nn_blas_kernels(), "skx") != 0)
        return;
    const shape_case *c = &cases[_i];
    if (c->alpha != 1.0f || (c->beta != 0.0f && c->beta != 1.0f) || c->k == 0 || c->m == 0)
        return;
    const size_t cn = (size_t)(c->m * c->n + 1);
    float *a = malloc(sizeof(float) * (size_t)(c->m * c->k + 1));
    float *b = malloc(sizeof(float) * (size_t)(c->k * c->n + 1));
    float *out[2] = { malloc(sizeof(float) * cn), malloc(sizeof(float) * cn) };
    nn_mat A = make(a, c->m, c->k, c->a_t, 1), B = make(b, c->k, c->n, c->b_t, 2);
    nn_mat C0 = make(out[0], c->m, c->n, c->c_t, 3), C1 = make(out[1], c->m, c->n, c->c_t, 3);
    nn_gemm(c->alpha, A, B, c->beta, C0);
    float alpha = c->alpha, beta = c->beta;
    bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, c->m, c->n, c->k, &alpha, A.data, A.rs, A.cs,
              B.data, B.rs, B.cs, &beta, C1.data, C1.rs, C1.cs);
    ck_assert_msg(memcmp(out[0], out[1], sizeof(float) * (size_t)(c->m * c->n)) == 0,
                  "%ldx%ldx%ld: nn_gemm and BLIS differ", c->m, c->n, c->k);
    free(a), free(b), free(out[0]), free(out[1]);
}
END_TEST

/* The same for nn_gemm_1t where its thin kernel takes the product (the
 * convolutions'; not the small-dimension loops, which sum otherwise). */
START_TEST(gemm_1t_thin_matches_blis_bits)
{
    const shape_case *c = &cases[_i];
    if (strcmp(nn_blas_kernels(), "skx") != 0 || !nn_gemm_thin_takes(c->m, c->k, c->n) ||
        c->n <= 16 || c->k <= 16 || c->m == 0)
        return;
    if (c->alpha != 1.0f || (c->beta != 0.0f && c->beta != 1.0f))
        return;
    const size_t cn = (size_t)(c->m * c->n + 1);
    float *a = malloc(sizeof(float) * (size_t)(c->m * c->k + 1));
    float *b = malloc(sizeof(float) * (size_t)(c->k * c->n + 1));
    float *out[2] = { malloc(sizeof(float) * cn), malloc(sizeof(float) * cn) };
    nn_mat A = make(a, c->m, c->k, c->a_t, 1), B = make(b, c->k, c->n, c->b_t, 2);
    nn_mat C0 = make(out[0], c->m, c->n, c->c_t, 3), C1 = make(out[1], c->m, c->n, c->c_t, 3);
    nn_gemm_1t(c->alpha, A, B, c->beta, C0);
    nn_gemm_small_loops(0); /* BLIS alone */
    nn_gemm_1t(c->alpha, A, B, c->beta, C1);
    nn_gemm_small_loops(1);
    ck_assert_msg(memcmp(out[0], out[1], sizeof(float) * (size_t)(c->m * c->n)) == 0,
                  "%ldx%ldx%ld: nn_gemm_1t and BLIS differ", c->m, c->n, c->k);
    free(a), free(b), free(out[0]), free(out[1]);
}
END_TEST

/* beta = 0 must not read C, which may hold anything (NaN from a fresh
 * buffer): the thin kernel, like BLIS, writes alpha A B alone. */
START_TEST(gemm_beta_zero_ignores_c)
{
    enum { M = 7, N = 40, K = 50 };
    float a[M * K], b[K * N], c[M * N];
    for (int i = 0; i < M * K; ++i)
        a[i] = 1.0f;
    for (int i = 0; i < K * N; ++i)
        b[i] = 0.5f;
    for (int i = 0; i < M * N; ++i)
        c[i] = NAN;
    nn_gemm(1.0f, nn_mat_rm(a, M, K), nn_mat_rm(b, K, N), 0.0f, nn_mat_rm(c, M, N));
    for (int i = 0; i < M * N; ++i)
        ck_assert_float_eq(c[i], 25.0f);
}
END_TEST

int main(void)
{
    nn_set_threads(2);
    Suite *s = suite_create("blas");
    TCase *tc = tcase_create("gemm");
    const int n = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(tc, gemm_1t_matches_reference, 0, n);
    tcase_add_loop_test(tc, gemm_matches_reference, 0, n);
    tcase_add_loop_test(tc, gemm_threads_same_bits, 0, n);
    tcase_add_loop_test(tc, gemm_thin_matches_blis_bits, 0, n);
    tcase_add_loop_test(tc, gemm_1t_thin_matches_blis_bits, 0, n);
    tcase_add_test(tc, gemm_beta_zero_ignores_c);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
