/* Matrix products through BLIS's typed API with explicit strides, so a
 * transposed operand is just a different stride (no copies). All matrices
 * are float32; a matrix "view" is (data, rows, cols, row stride, col stride). */
#ifndef NN_BLAS_H
#define NN_BLAS_H

#include <stddef.h>

typedef struct nn_mat {
    float *data;
    long rows, cols;
    long rs, cs;      /* element (i, j) is data[i*rs + j*cs] */
} nn_mat;

/* A row-major [rows, cols] matrix. */
static inline nn_mat nn_mat_rm(float *data, long rows, long cols)
{
    nn_mat m = { data, rows, cols, cols, 1 };
    return m;
}

/* The transpose of a view (same memory). */
static inline nn_mat nn_mat_t(nn_mat m)
{
    nn_mat t = { m.data, m.cols, m.rows, m.cs, m.rs };
    return t;
}

/* C = alpha * A * B + beta * C, shapes [m,k] x [k,n] -> [m,n], on the
 * process's BLIS threads (nn_set_threads). k = 0 gives C = beta * C. */
void nn_gemm(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c);

/* The same on the calling thread only: for products issued from inside an
 * OpenMP parallel region (e.g. one per sample of a batch), where BLIS's own
 * threads would oversubscribe the cores. Products with an output width or
 * inner dimension of at most 16 (a first convolution layer's 3x3 patches of
 * one channel) run in plain vectorised loops instead, when the operand they
 * stream has unit stride: BLIS's packing costs more than the arithmetic
 * there. */
void nn_gemm_1t(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c);

/* Whether nn_gemm_1t may use those loops (default 1); 0 sends every product
 * to BLIS, for benchmarks that measure the difference (nn_profile --blis-only). */
void nn_gemm_small_loops(int enable);

/* Name of the BLIS kernel family in use ("skx", "zen3", "haswell", ...). */
const char *nn_blas_kernels(void);

/* Threads for BLIS and OpenMP element-wise loops in this process. */
void nn_set_threads(int n);
int nn_get_threads(void);

#endif
