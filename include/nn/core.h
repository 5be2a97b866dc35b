/* core: BLIS matrix products (float32 and the double-precision ones PCA
 * needs) and counter-based random numbers. Depends on nothing else of
 * nntrain; every other module may use it.
 *
 * Module core (src/core, library nn_core). May call: BLIS and OpenMP only.
 */
#ifndef NN_CORE_H
#define NN_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "nn/error.h"

/* ---- blas ------------------------------------------------------------------ */

/* Matrix products through BLIS's typed API with explicit strides, so a
 * transposed operand is just a different stride (no copies). All matrices
 * are float32; a matrix "view" is (data, rows, cols, row stride, col stride). */
typedef struct nn_mat {
    float *data;
    long rows, cols;
    long rs, cs; /* element (i, j) is data[i*rs + j*cs] */
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
 * process's threads (nn_set_threads). k = 0 gives C = beta * C. Products
 * with m <= 64 or k <= 64 (the dense layers') run in a register-tiled
 * AVX-512 kernel instead of BLIS where the build has AVX-512 and C's rows
 * are contiguous (src/core/gemm_thin.c): BLIS's bits, without its packing. */
void nn_gemm(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c);

/* The same on the calling thread only: for products issued from inside an
 * OpenMP parallel region (e.g. one per sample of a batch), where BLIS's own
 * threads would oversubscribe the cores. Products with an output width or
 * inner dimension of at most 16 (a first convolution layer's 3x3 patches of
 * one channel) run in plain vectorised loops instead, when the operand they
 * stream has unit stride: BLIS's packing costs more than the arithmetic
 * there. Other products with any dimension at most 64 (the convolutions':
 * one of their channel counts) run in the thin kernel, as nn_gemm's. */
void nn_gemm_1t(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c);

/* Whether this build's register-tiled kernel (gemm_thin.c, AVX-512) takes
 * a product C [m, n] = A [m, k] . B [k, n] in nn_gemm_1t when its strides
 * allow: any of m, k and n at most 64 (unless nn_gemm_small_loops(0)). */
int nn_gemm_thin_takes(long m, long k, long n);

/* Whether nn_gemm_1t may use those loops and nn_gemm its thin-product
 * kernel (default 1); 0 sends every product to BLIS, for benchmarks that
 * measure the difference (nn_profile --blis-only). */
void nn_gemm_small_loops(int enable);

/* Name of the BLIS kernel family in use ("skx", "zen3", "haswell", ...). */
const char *nn_blas_kernels(void);

/* Threads for BLIS and OpenMP element-wise loops in this process. */
void nn_set_threads(int n);
int nn_get_threads(void);

/* ---- blas64 ---------------------------------------------------------------- */

/* Double-precision BLIS calls for statistics over many samples (PCA's
 * covariance), where float32 sums of tens of thousands of products would
 * lose the digits that the eigenvectors depend on. */
/* C [n, n] += A^T A for A [m, n] row-major; only the lower triangle of C
 * (row-major, i >= j) is updated (BLIS syrk through strides: A^T is A read
 * with swapped strides, no copy). */
void nn_dsyrk_ata(const double *a, long m, long n, double *c);

/* ---- rng ------------------------------------------------------------------- */

/* Counter-based random numbers: every draw is a pure function of
 * (seed, stream, counter), so a random choice never depends on the rank, the
 * number of ranks or the order in which work is done. Streams separate uses
 * (initialisation of each parameter, the shuffle of each epoch, ...). */
/* 64 random bits for (seed, stream, counter): splitmix64-style mixing of a
 * combined key; passes as independent for our purposes (init, shuffling). */
uint64_t nn_rng_bits(uint64_t seed, uint64_t stream, uint64_t counter);

/* The same draws in two halves, for loops over many counters of one
 * stream: nn_rng_bits(s, t, c) == nn_rng_bits_key(nn_rng_key(s, t), c). */
uint64_t nn_rng_key(uint64_t seed, uint64_t stream);
static inline uint64_t nn_rng_bits_key(uint64_t key, uint64_t counter)
{
    uint64_t z = key + counter * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* Uniform float in [0, 1) from 64 random bits (their top 24). */
static inline float nn_rng_to_unit(uint64_t bits)
{
    return (float)(bits >> 40) * (1.0f / 16777216.0f);
}

/* Uniform float in [0, 1) with 24 random bits. */
float nn_rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter);

/* A stream id from a text label and a number (e.g. ("init:fc1/W", 0)). */
uint64_t nn_rng_stream(const char *label, uint64_t number);

/* perm[0..n) = a uniformly random permutation of 0..n-1 determined by
 * (seed, stream) alone (Fisher-Yates driven by the counter-based draws). */
void nn_rng_permutation(uint64_t seed, uint64_t stream, size_t *perm, size_t n);

/* ---- helpers ------------------------------------------------------------ */

/* The file name of path without its folders ("a/b.h5" -> "b.h5"). */
const char *nn_base_name(const char *path);

/* Create the folder path and every missing folder above it (mkdir -p);
 * with parent_only, the folders above the file named by path. NN_E_IO
 * naming the folder that cannot be made. */
int nn_make_dirs(const char *path, int parent_only, nn_error *err);

/* Read a whole regular file into *buf (malloc'ed, *n bytes), for readers
 * that check a format before decoding it (photos, OCR pages). Refused with
 * the path in the message: missing or unreadable (NN_E_IO), not a regular
 * file (NN_E_IO), empty or over max_bytes (NN_E_FORMAT, "... is too large
 * for <what>", what e.g. "a photo"). On error *buf is NULL. */
int nn_read_file(const char *path, size_t max_bytes, const char *what, uint8_t **buf, size_t *n,
                 nn_error *err);

/* n rounded up to a multiple of 16 (float offsets that keep 64-byte
 * alignment inside one allocation). */
size_t nn_round16(size_t n);

/* Levenshtein distance between a and b (insertions, deletions,
 * substitutions), optionally ignoring ASCII case; -1 when out of memory. */
int nn_edit_distance_case(const char *a, const char *b, int ignore_case);
int nn_edit_distance(const char *a, const char *b);

#endif
