#include "nn/core.h"

#include <assert.h>
#include <blis.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

/* C = beta * C for an empty inner dimension (BLIS is not asked about k = 0). */
static void scale_c(float beta, nn_mat c)
{
    for (long i = 0; i < c.rows; ++i)
        for (long j = 0; j < c.cols; ++j) {
            float *x = c.data + i * c.rs + j * c.cs;
            *x = beta == 0.0f ? 0.0f : beta * *x;
        }
}

static void gemm(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c, rntm_t *rntm)
{
    assert(a.rows == c.rows && b.cols == c.cols && a.cols == b.rows);
    if (c.rows == 0 || c.cols == 0)
        return;
    if (a.cols == 0) {
        scale_c(beta, c);
        return;
    }
    bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, c.rows, c.cols, a.cols, &alpha, a.data, a.rs,
                 a.cs, b.data, b.rs, b.cs, &beta, c.data, c.rs, c.cs, NULL, rntm);
}

void nn_gemm(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c)
{
    gemm(alpha, a, b, beta, c, NULL);
}

/* Products with a tiny dimension, where BLIS spends longer packing the big
 * operand (used once) than multiplying: a 1-channel 3x3 convolution's
 * weight gradient [32 x 9] = dZ [32 x 784] . col^T and forward product
 * [32 x 784] = W [32 x 9] . col. Plain loops that stream the big operand
 * once do better (nn_profile shows the first conv layer's products with and
 * without them: --blis-only). They need unit strides where they stream. */
enum { SMALL_DIM = 16 };
static int g_small_loops = 1;

void nn_gemm_small_loops(int enable) { g_small_loops = enable != 0; }

/* n <= SMALL_DIM, rows of A and columns of B contiguous: every C(i, j) is a
 * dot product; four rows of A share each load of B's column. */
static void dots_small_n(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c)
{
    const long m = c.rows, n = c.cols, k = a.cols;
    long i = 0;
    for (; i + 4 <= m; i += 4) {
        const float *restrict a0 = a.data + i * a.rs, *restrict a1 = a0 + a.rs;
        const float *restrict a2 = a1 + a.rs, *restrict a3 = a2 + a.rs;
        for (long j = 0; j < n; ++j) {
            const float *restrict bj = b.data + j * b.cs;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
            for (long p = 0; p < k; ++p) {
                s0 += a0[p] * bj[p];
                s1 += a1[p] * bj[p];
                s2 += a2[p] * bj[p];
                s3 += a3[p] * bj[p];
            }
            const float s[4] = { s0, s1, s2, s3 };
            for (int r = 0; r < 4; ++r) {
                float *x = c.data + (i + r) * c.rs + j * c.cs;
                *x = alpha * s[r] + (beta == 0.0f ? 0.0f : beta * *x);
            }
        }
    }
    for (; i < m; ++i)
        for (long j = 0; j < n; ++j) {
            const float *restrict ai = a.data + i * a.rs, *restrict bj = b.data + j * b.cs;
            float s = 0;
#pragma omp simd reduction(+ : s)
            for (long p = 0; p < k; ++p)
                s += ai[p] * bj[p];
            float *x = c.data + i * c.rs + j * c.cs;
            *x = alpha * s + (beta == 0.0f ? 0.0f : beta * *x);
        }
}

/* k <= SMALL_DIM, rows of B and C contiguous: row i of C is a combination
 * of the k rows of B, built in one pass over it. */
static void rows_small_k(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c)
{
    const long m = c.rows, n = c.cols, k = a.cols;
    for (long i = 0; i < m; ++i) {
        float *restrict ci = c.data + i * c.rs;
        if (beta == 0.0f)
            for (long j = 0; j < n; ++j)
                ci[j] = 0.0f;
        else if (beta != 1.0f)
            for (long j = 0; j < n; ++j)
                ci[j] *= beta;
        for (long p = 0; p < k; ++p) {
            const float w = alpha * a.data[i * a.rs + p * a.cs];
            const float *restrict bp = b.data + p * b.rs;
            for (long j = 0; j < n; ++j)
                ci[j] += w * bp[j];
        }
    }
}

void nn_gemm_1t(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c)
{
    assert(a.rows == c.rows && b.cols == c.cols && a.cols == b.rows);
    const long k = a.cols;
    if (g_small_loops && c.rows > 0 && c.cols > 0 && k > 0) {
        if (c.cols <= SMALL_DIM && k >= 4 * SMALL_DIM && a.cs == 1 && b.rs == 1) {
            dots_small_n(alpha, a, b, beta, c);
            return;
        }
        if (k <= SMALL_DIM && c.cols >= 4 * SMALL_DIM && b.cs == 1 && c.cs == 1) {
            rows_small_k(alpha, a, b, beta, c);
            return;
        }
    }
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(1, &rntm);
    gemm(alpha, a, b, beta, c, &rntm);
}

static int g_threads = 1;

/* BLIS picks its kernels from the CPU model once, at its first call. CPUs it
 * does not know (newer AMD EPYC models, some virtual CPUs) fall back to the
 * portable 'generic' kernels at about a third of the speed, although the
 * vector units are there. Unless the user chose (BLIS_ARCH_TYPE), name the
 * kernel family the CPU's features support before BLIS initialises. */
static void choose_blis_kernels(void)
{
    static int done;
    if (done || getenv("BLIS_ARCH_TYPE"))
        return;
    done = 1;
    int arch = -1;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        arch = BLIS_ARCH_SKX;
    else if (__builtin_cpu_is("amd") && __builtin_cpu_supports("avx2") &&
             __builtin_cpu_supports("fma"))
        arch = BLIS_ARCH_ZEN3;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        arch = BLIS_ARCH_HASWELL;
    if (arch >= 0) {
        char id[16];
        snprintf(id, sizeof id, "%d", arch);
        setenv("BLIS_ARCH_TYPE", id, 0);
    }
}

const char *nn_blas_kernels(void)
{
    choose_blis_kernels();
    return bli_arch_string(bli_arch_query_id());
}

void nn_set_threads(int n)
{
    choose_blis_kernels();
    if (n < 1)
        n = 1;
    g_threads = n;
    omp_set_num_threads(n);
    bli_thread_set_num_threads(n);
}

int nn_get_threads(void) { return g_threads; }
