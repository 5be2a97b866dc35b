/* Private to src/core: the register-tiled product for thin operands
 * (gemm_thin.c), which nn_gemm uses in place of BLIS where it pays. */
#ifndef NN_CORE_GEMM_THIN_H
#define NN_CORE_GEMM_THIN_H

#include "nn/core.h"

/* Whether this build has the kernel (AVX-512) and it can take the operands:
 * C's rows contiguous and B stored row-major (b.cs == 1) or column-major
 * (b.rs == 1, read through a transposing copy of each block). */
int nn_gemm_thin_fits(nn_mat a, nn_mat b, nn_mat c);

/* The inner dimension is summed in blocks the way BLIS's sgemm does it:
 * blocks of kc_def until what is left fits in kc_max (BLIS's KC blocksizes
 * for float, read from its context), each block's sum added to C. With
 * alpha = 1 and beta 0 or 1 (the dense layers' products) that gives the
 * bits BLIS's 'skx' kernels give, which keeps nntrain's agreement with
 * PyTorch (on the same BLIS) as close as it was. kc_max <= NN_GEMM_THIN_KC_MAX. */
typedef struct nn_gemm_thin_blocks {
    long kc_def, kc_max;
} nn_gemm_thin_blocks;

/* C[:, j0:j1) = alpha * A . B[:, j0:j1) + beta * C[:, j0:j1), rows [i0, i1) only.
 * Every element of C is summed in the same order whatever the ranges, so a
 * product split over threads by rows or columns gives the same bits as on
 * one thread. */
void nn_gemm_thin(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c, long i0, long i1, long j0,
                  long j1, nn_gemm_thin_blocks blk);

/* Column width of one tile (a split over threads at multiples of it keeps
 * the tiles whole). */
enum { NN_GEMM_THIN_NR = 64, NN_GEMM_THIN_MR = 6, NN_GEMM_THIN_KC_MAX = 512 };

#endif
