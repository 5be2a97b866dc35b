#include "nn/core.h"

#include "core/gemm_thin.h"

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

static int g_threads = 1;

/* Products where A has at most this many rows or the inner dimension is at
 * most this long (every dense layer's forward and gradient products at the
 * usual batch sizes) go to gemm_thin.c: BLIS's packing is not repaid over so
 * few rows or inner indices (measurements in gemm_thin.c). Larger products
 * (PCA's) stay in BLIS. */
enum { THIN_DIM = 64 };

/* Below this many multiply-adds a product stays on one thread: a parallel
 * region costs more than it saves (the homework MLP's products). */
enum { THIN_PARALLEL_MIN = 1 << 20 };

/* BLIS's inner-dimension blocksizes for float (KC and its maximum), which
 * the thin kernel follows to sum in the same blocks (gemm_thin.h). Read
 * from BLIS's context on every call (a few loads) rather than cached in a
 * static that threads calling nn_gemm at once would race to fill. */
static nn_gemm_thin_blocks thin_blocks(void)
{
    cntx_t *cntx = (cntx_t *)bli_gks_query_cntx();
    long def = (long)bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_KC, cntx);
    long max = (long)bli_cntx_get_blksz_max_dt(BLIS_FLOAT, BLIS_KC, cntx);
    max = max < NN_GEMM_THIN_KC_MAX ? max : NN_GEMM_THIN_KC_MAX;
    def = def < max ? def : max;
    return (nn_gemm_thin_blocks){ def > 0 ? def : 256, max > 0 ? max : 256 };
}

static int g_small_loops = 1;

int nn_gemm_thin_takes(long m, long k, long n)
{
    return nn_gemm_thin_fits(nn_mat_rm(NULL, m, k), nn_mat_rm(NULL, k, n), nn_mat_rm(NULL, m, n)) &&
           (m <= THIN_DIM || k <= THIN_DIM || n <= THIN_DIM);
}

/* nn_gemm: C with at most THIN_DIM rows or a short inner dimension (the
 * dense layers'); its threads split C by whole tiles. */
static int use_thin(nn_mat a, nn_mat b, nn_mat c)
{
    return g_small_loops && (c.rows <= THIN_DIM || a.cols <= THIN_DIM) &&
           nn_gemm_thin_fits(a, b, c);
}

/* nn_gemm_1t: any dimension at most THIN_DIM (the convolutions' products:
 * one of F and C, or Winograd's weight gradient [F, C]). */
static int use_thin_1t(nn_mat a, nn_mat b, nn_mat c)
{
    return g_small_loops && nn_gemm_thin_takes(c.rows, a.cols, c.cols) &&
           nn_gemm_thin_fits(a, b, c);
}

/* Splits C over the threads by whole column tiles, or by row tiles when
 * there are fewer column tiles than threads. Every element is computed the
 * same way however C is split, so the bits do not depend on the thread count. */
static void gemm_thin_threads(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c)
{
    const long m = c.rows, n = c.cols;
    const long col_tiles = (n + NN_GEMM_THIN_NR - 1) / NN_GEMM_THIN_NR;
    const long row_tiles = (m + NN_GEMM_THIN_MR - 1) / NN_GEMM_THIN_MR;
    const double work = (double)m * (double)n * (double)a.cols;
    const int threads = work >= THIN_PARALLEL_MIN && !omp_in_parallel() ? g_threads : 1;
    const nn_gemm_thin_blocks blk = thin_blocks();
    if (threads == 1) {
        nn_gemm_thin(alpha, a, b, beta, c, 0, m, 0, n, blk);
        return;
    }
    const int by_cols = col_tiles >= threads;
#pragma omp parallel num_threads(threads)
    {
        const long t = omp_get_thread_num(), T = omp_get_num_threads();
        const long tiles = by_cols ? col_tiles : row_tiles;
        const long step = by_cols ? NN_GEMM_THIN_NR : NN_GEMM_THIN_MR, len = by_cols ? n : m;
        long lo = tiles * t / T * step, hi = tiles * (t + 1) / T * step;
        lo = lo < len ? lo : len;
        hi = hi < len ? hi : len;
        if (lo < hi) {
            if (by_cols)
                nn_gemm_thin(alpha, a, b, beta, c, 0, m, lo, hi, blk);
            else
                nn_gemm_thin(alpha, a, b, beta, c, lo, hi, 0, n, blk);
        }
    }
}

void nn_gemm(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c)
{
    assert(a.rows == c.rows && b.cols == c.cols && a.cols == b.rows);
    if (c.rows > 0 && c.cols > 0 && a.cols > 0 && use_thin(a, b, c)) {
        gemm_thin_threads(alpha, a, b, beta, c);
        return;
    }
    gemm(alpha, a, b, beta, c, NULL);
}

/* Products with a tiny dimension, where BLIS spends longer packing the big
 * operand (used once) than multiplying: a 1-channel 3x3 convolution's
 * weight gradient [32 x 9] = dZ [32 x 784] . col^T and forward product
 * [32 x 784] = W [32 x 9] . col. Plain loops that stream the big operand
 * once do better (nn_profile shows the first conv layer's products with and
 * without them: --blis-only). They need unit strides where they stream. */
enum { SMALL_DIM = 16 };

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
    if (c.rows > 0 && c.cols > 0 && k > 0 && use_thin_1t(a, b, c)) {
        nn_gemm_thin(alpha, a, b, beta, c, 0, c.rows, 0, c.cols, thin_blocks());
        return;
    }
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(1, &rntm);
    gemm(alpha, a, b, beta, c, &rntm);
}

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
