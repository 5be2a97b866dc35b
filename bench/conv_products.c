/* The convolutions' matrix products timed two ways in one run: nn_gemm_1t
 * as the layers call it (the thin kernel, src/core/gemm_thin.c, takes
 * products with a side of at most 64 in AVX-512 builds) and the same call
 * with every product in BLIS (nn_gemm_small_loops(0)), on the shapes of the
 * bench CNN's conv2 (32 -> 64 channels, 14 x 14, batch 64): Winograd's
 * three products per element (groups of 8 samples: 448 tiles) and the
 * im2col ones (groups of 4 samples: 784 columns). Best of REPEATS calls (default 200) on one
 * thread, as microseconds and GFLOP/s.
 *   build/nn_conv_products [REPEATS] */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/core.h"

typedef struct product {
    const char *name;
    long m, n, k;
    int a_t, b_t; /* operand read through a transposed view */
    float beta;
} product;

static const product products[] = {
    { "Winograd forward   M_e = U_e . V_e", 64, 448, 32, 0, 0, 0.0f },
    { "Winograd dx        U'_e . V'_e", 32, 448, 64, 0, 0, 0.0f },
    { "Winograd dW        dU_e += dM_e . V_e^T", 64, 32, 448, 0, 1, 1.0f },
    { "im2col forward     W . col", 64, 784, 288, 0, 0, 0.0f },
    { "im2col dx          W^T . dZ", 288, 784, 64, 1, 0, 0.0f },
    { "im2col dW^T        col . dZ^T", 288, 64, 784, 0, 1, 1.0f },
};

/* A [rows, cols] filled with values in [-1, 1], stored transposed when t. */
static nn_mat make(long rows, long cols, int t, uint64_t stream)
{
    float *p = malloc(sizeof(float) * (size_t)(rows * cols));
    if (!p) {
        fprintf(stderr, "nn_conv_products: out of memory\n");
        exit(1);
    }
    for (long i = 0; i < rows * cols; ++i)
        p[i] = 2.0f * nn_rng_uniform(1, stream, (uint64_t)i) - 1.0f;
    nn_mat m = { p, rows, cols, t ? 1 : cols, t ? rows : 1 };
    return m;
}

static double best_seconds(const product *p, nn_mat a, nn_mat b, nn_mat c, int repeats)
{
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
        const double t0 = omp_get_wtime();
        nn_gemm_1t(1.0f, a, b, p->beta, c);
        const double dt = omp_get_wtime() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    const int repeats = argc > 1 ? atoi(argv[1]) : 200;
    if (repeats < 1) {
        fprintf(stderr, "usage: nn_conv_products [REPEATS >= 1]\n");
        return 2;
    }
    nn_set_threads(1); /* also picks BLIS's kernels for the CPU */
    printf("conv products, 1 thread, BLIS '%s', best of %d calls\n", nn_blas_kernels(), repeats);
    printf("%-40s %16s %16s %16s\n", "product [m, k] . [k, n]", "as called", "BLIS alone",
           "m x n x k");
    for (size_t i = 0; i < sizeof products / sizeof products[0]; ++i) {
        const product *p = &products[i];
        nn_mat a = make(p->m, p->k, p->a_t, 2 * i), b = make(p->k, p->n, p->b_t, 2 * i + 1);
        nn_mat c = make(p->m, p->n, 0, 99);
        const double flops = 2.0 * p->m * p->n * p->k;
        const double t_used = best_seconds(p, a, b, c, repeats);
        nn_gemm_small_loops(0);
        const double t_blis = best_seconds(p, a, b, c, repeats);
        nn_gemm_small_loops(1);
        printf("%-40s %6.1f us %5.0f GF %6.1f us %5.0f GF   %ld x %ld x %ld\n", p->name,
               t_used * 1e6, flops / t_used * 1e-9, t_blis * 1e6, flops / t_blis * 1e-9, p->m, p->n,
               p->k);
        free(a.data), free(b.data), free(c.data);
    }
    return 0;
}
