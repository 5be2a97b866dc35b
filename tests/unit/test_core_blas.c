/* nn_gemm and nn_gemm_1t against a plain triple loop (in double), over the
 * shapes and strides the layers use: BLIS's path, the small-width dot
 * products and the small-inner-dimension row combinations, transposed
 * views, alpha and beta, and empty dimensions. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

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
    { 5, 6, 0, 0, 0, 0, 1.0f, 0.5f },      /* k = 0: C = beta C */
    { 0, 6, 4, 0, 0, 0, 1.0f, 0.0f },      /* no rows */
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

int main(void)
{
    nn_set_threads(2);
    Suite *s = suite_create("blas");
    TCase *tc = tcase_create("gemm");
    const int n = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(tc, gemm_1t_matches_reference, 0, n);
    tcase_add_loop_test(tc, gemm_matches_reference, 0, n);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
