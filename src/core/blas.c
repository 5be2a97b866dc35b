#include "nn/blas.h"

#include <assert.h>
#include <blis.h>
#include <omp.h>

void nn_gemm(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c)
{
    assert(a.rows == c.rows && b.cols == c.cols && a.cols == b.rows);
    if (c.rows == 0 || c.cols == 0)
        return;
    bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, c.rows, c.cols, a.cols,
              &alpha, a.data, a.rs, a.cs, b.data, b.rs, b.cs,
              &beta, c.data, c.rs, c.cs);
}

static int g_threads = 1;

void nn_set_threads(int n)
{
    if (n < 1)
        n = 1;
    g_threads = n;
    omp_set_num_threads(n);
    bli_thread_set_num_threads(n);
}

int nn_get_threads(void) { return g_threads; }
