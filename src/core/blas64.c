#include "nn/core.h"

#include <blis.h>

void nn_dsyrk_ata(const double *a, long m, long n, double *c)
{
    if (m == 0 || n == 0)
        return;
    double one = 1.0;
    /* C = 1 * B B^T + 1 * C with B = A^T [n, m]: element (i, j) of B is
     * a[j*n + i], so B has row stride 1 and column stride n. */
    bli_dsyrk(BLIS_LOWER, BLIS_NO_TRANSPOSE, n, m, &one, (double *)a, 1, n, &one, c, n, 1);
}
