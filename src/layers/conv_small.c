/* Direct kernels for convolutions whose patch matrix has few rows
 * (K = C size^2 <= NN_CONV_SMALL_K: a first layer on one channel, K = 9).
 *
 * Why: such a layer has little arithmetic (2 K flops per output) but a large
 * output (the bench CNN's conv1 writes 32 x 28 x 28 floats a sample), so its
 * time goes to passes over that output, not to multiplications. The product
 * path made three in forward (the product into Y, bias, activation). Here
 * forward keeps a strip of 4 filters x 32 positions in registers through
 * all K terms and stores it once with bias and activation applied. Backward
 * turns dY into dZ in place (its own pass: fusing ReLU's mask into the loop
 * below measured slower), then sums db and dW = dZ . col^T for two filters
 * at a time with the 2 (K + 1) sums in registers, reading col once per pair.
 * Measured on the bench CNN's conv1 (batch 64, 1 thread, AMD EPYC 'skx';
 * bench/layer_cputime.c: thread CPU time, the best of 30 steps, 3 runs
 * alternating with the product path on a shared machine): forward
 * 0.96-1.05 -> 0.53-0.54 ms, backward 0.90-1.02 -> 0.82-0.85 ms.
 *
 * Shapes (one sample):
 *     col [K, HW]  the patch matrix (im2col), rows HW apart
 *     W   [F, K],  bias [F] or NULL
 *     Y   [F, HW]  = act(W . col + bias)
 *     dW  [F, K]  += dZ . col^T,   db [F] += row sums of dZ
 * where dZ = dL/dZ = act'(Y) * dY. */
#include "layers/layers_internal.h"

/* 8 floats: GCC's vector extension, so that the accumulators below can
 * live in registers whatever the compiler's vector-width preference. u8:
 * the same, unaligned. */
#if defined(__GNUC__) && !defined(__clang__)
/* Builds without AVX (-march unset: the sanitizer and fuzz builds, a
 * portable -DNN_ARCH) get a note that 32-byte vectors pass differently
 * across calls; every function here is static and inlined, so no call
 * crosses a compiled interface and the note does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef float v8 __attribute__((vector_size(32)));
typedef float u8 __attribute__((vector_size(32), aligned(4)));
typedef int v8i __attribute__((vector_size(32)));

enum { STRIP = 32, ROWS = 4 };

static inline v8 load8(const float *p) { return *(const u8 *)p; }
static inline void store8(float *p, v8 v) { *(u8 *)p = v; }
static inline v8 splat8(float x) { return (v8){ x, x, x, x, x, x, x, x }; }
/* max(v, 0) (a comparison is an all-ones or zero mask). */
static inline v8 relu8(v8 v) { return (v8)((v8i)v & (v > 0.0f)); }

/* y [ROWS rows HW apart] at positions [p0, p0 + STRIP): 4 filters x 32
 * positions in 16 registers through all K terms, then stored once. */
static inline __attribute__((always_inline)) void
forward_strip(const float *restrict W, const long K, const float *restrict bias,
              const float *restrict col, long HW, long p0, int relu, float *restrict y)
{
    v8 acc[ROWS][STRIP / 8];
    for (int r = 0; r < ROWS; ++r)
        for (int j = 0; j < STRIP / 8; ++j)
            acc[r][j] = splat8(bias ? bias[r] : 0.0f);
#pragma GCC unroll 16
    for (long k = 0; k < K; ++k) {
        const float *c = col + k * HW + p0;
        const v8 c0 = load8(c), c1 = load8(c + 8), c2 = load8(c + 16), c3 = load8(c + 24);
        for (int r = 0; r < ROWS; ++r) {
            const v8 w = splat8(W[r * K + k]);
            acc[r][0] += w * c0;
            acc[r][1] += w * c1;
            acc[r][2] += w * c2;
            acc[r][3] += w * c3;
        }
    }
    for (int r = 0; r < ROWS; ++r)
        for (int j = 0; j < STRIP / 8; ++j)
            store8(y + r * HW + p0 + 8 * j, relu ? relu8(acc[r][j]) : acc[r][j]);
}

/* One filter over positions [p0, HW) (a strip's tail, or the last F mod
 * ROWS filters with p0 = 0). */
static void forward_rest(const float *restrict w, long K, float b, const float *restrict col,
                         long HW, long p0, int relu, float *restrict y)
{
    for (long p = p0; p < HW; ++p)
        y[p] = b;
    for (long k = 0; k < K; ++k) {
        const float *restrict c = col + k * HW;
        const float wk = w[k];
#pragma omp simd
        for (long p = p0; p < HW; ++p)
            y[p] += wk * c[p];
    }
    if (relu)
        for (long p = p0; p < HW; ++p)
            y[p] = y[p] > 0.0f ? y[p] : 0.0f;
}

static inline __attribute__((always_inline)) void forward_rows(const float *W, const float *bias,
                                                               const float *col, const long K,
                                                               long HW, long F, int relu, float *y)
{
    const long full = HW / STRIP * STRIP;
    long f = 0;
    for (; f + ROWS <= F; f += ROWS) {
        for (long p0 = 0; p0 < full; p0 += STRIP)
            forward_strip(W + f * K, K, bias ? bias + f : NULL, col, HW, p0, relu, y + f * HW);
        for (int r = 0; r < ROWS && full < HW; ++r)
            forward_rest(W + (f + r) * K, K, bias ? bias[f + r] : 0.0f, col, HW, full, relu,
                         y + (f + r) * HW);
    }
    for (; f < F; ++f)
        forward_rest(W + f * K, K, bias ? bias[f] : 0.0f, col, HW, 0, relu, y + f * HW);
}

void nn_conv_small_forward(const float *W, const float *bias, const float *col, long K, long HW,
                           long F, nn_activation act, float *y)
{
    const int relu = act == NN_ACT_RELU;
    if (K == 9) /* 3x3 on one channel: K known, the k loop unrolled */
        forward_rows(W, bias, col, 9, HW, F, relu, y);
    else
        forward_rows(W, bias, col, K, HW, F, relu, y);
    if (!relu && act != NN_ACT_LINEAR)
        nn_activation_forward(act, y, 1, (size_t)(F * HW));
}

/* Two filter rows of dZ at once over [0, HW / 8 * 8): db += sum dZ and
 * dw [K] += col . dZ for each, the 2 (K + 1) sums in registers. The last
 * HW mod 8 positions: backward_tail. */
static inline __attribute__((always_inline)) void
backward_pair(const float *restrict dz, const float *restrict col, const long K, long HW,
              float *restrict dw, float *restrict db)
{
    v8 s[2][NN_CONV_SMALL_K], sb[2] = { splat8(0.0f), splat8(0.0f) };
#pragma GCC unroll 16
    for (long k = 0; k < K; ++k)
        s[0][k] = s[1][k] = splat8(0.0f);
    const long full = HW / 8 * 8;
    for (long p = 0; p < full; p += 8) {
        const v8 d0 = load8(dz + p), d1 = load8(dz + HW + p);
        sb[0] += d0;
        sb[1] += d1;
#pragma GCC unroll 16
        for (long k = 0; k < K; ++k) {
            const v8 c = load8(col + k * HW + p);
            s[0][k] += d0 * c;
            s[1][k] += d1 * c;
        }
    }
    for (int r = 0; r < 2; ++r) {
        for (long k = 0; k < K; ++k)
            for (int j = 0; j < 8; ++j)
                dw[r * K + k] += s[r][k][j];
        for (int j = 0; j < 8; ++j)
            db[r] += sb[r][j];
    }
}

/* One filter row over positions [p0, HW), in plain loops. */
static void backward_tail(const float *restrict dz, const float *restrict col, long K, long HW,
                          long p0, float *restrict dw, float *restrict db)
{
    for (long p = p0; p < HW; ++p) {
        *db += dz[p];
        for (long k = 0; k < K; ++k)
            dw[k] += dz[p] * col[k * HW + p];
    }
}

static inline __attribute__((always_inline)) void backward_rows(const float *dz, const float *col,
                                                                const long K, long HW, long F,
                                                                float *dw, float *db)
{
    const long full = HW / 8 * 8, pairs = F / 2 * 2;
    for (long f = 0; f < pairs; f += 2)
        backward_pair(dz + f * HW, col, K, HW, dw + f * K, db + f);
    for (long f = 0; f < F; ++f) /* the pairs' last HW mod 8 positions, the odd filter */
        backward_tail(dz + f * HW, col, K, HW, f < pairs ? full : 0, dw + f * K, db + f);
}

void nn_conv_small_backward(const float *y, float *dy, const float *col, long K, long HW, long F,
                            nn_activation act, int dy_is_preact, float *dw, float *db)
{
    /* dL/dZ in place first, in its own pass: fused into the loop below
     * (relu's mask applied to each vector of dY) it measured slower. */
    if (!dy_is_preact)
        nn_activation_backward(act, y, dy, 1, (size_t)(F * HW));
    if (K == 9)
        backward_rows(dy, col, 9, HW, F, dw, db);
    else
        backward_rows(dy, col, K, HW, F, dw, db);
}
