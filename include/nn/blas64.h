/* Double-precision BLIS calls for statistics over many samples (PCA's
 * covariance), where float32 sums of tens of thousands of products would
 * lose the digits that the eigenvectors depend on. */
#ifndef NN_BLAS64_H
#define NN_BLAS64_H

/* C [n, n] += A^T A for A [m, n] row-major; only the lower triangle of C
 * (row-major, i >= j) is updated (BLIS syrk through strides: A^T is A read
 * with swapped strides, no copy). */
void nn_dsyrk_ata(const double *a, long m, long n, double *c);

#endif
