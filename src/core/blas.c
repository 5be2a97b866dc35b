#include "nn/blas.h"

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
    bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, c.rows, c.cols, a.cols,
                 &alpha, a.data, a.rs, a.cs, b.data, b.rs, b.cs,
                 &beta, c.data, c.rs, c.cs, NULL, rntm);
}

void nn_gemm(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c)
{
    gemm(alpha, a, b, beta, c, NULL);
}

void nn_gemm_1t(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c)
{
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
