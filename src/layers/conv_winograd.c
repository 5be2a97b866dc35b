/* Winograd F(2x2, 3x3) convolution (Lavin & Gray 2015, "Fast Algorithms
 * for Convolutional Neural Networks") for 3x3 kernels at stride 1, used by
 * conv.c for the forward pass and both gradients.
 *
 * Each 2x2 block of outputs comes from a 4x4 input tile d (tiles overlap by
 * two rows and columns) as
 *     y = A^T [ (G g G^T) (.) (B^T d B) ] A
 * with 16 multiplications per channel pair instead of 36. Over C input and
 * F output channels the 16 element-wise products become 16 independent
 * matrix products, one per element e of the 4x4 transformed tile:
 *     U_e [F, C]  = (G g G^T)_e for every filter   (once per call: weights change every step)
 *     V_e [C, P]  = (B^T d B)_e for every tile     (P = tiles of n samples, side by side)
 *     M_e [F, P]  = U_e . V_e                      (nn_gemm_1t, one call per element)
 *     y           = A^T m A for every tile and filter, then bias and activation
 * The input gradient is the full convolution of dZ by W: the same code with
 * the filters rotated by 180 degrees, input and output channels swapped and
 * padding 2 - p (a 3x3 convolution with padding 2 - p of the Ho x Wo map
 * dZ gives back H x W). The weight gradient is the transpose of the forward
 * formula (nn_wino_dw, at the end of this file).
 *
 * Why: the bench CNN's conv2 (32 -> 64 channels, 14 x 14, batch 64) took
 * about 13 of the 18 ms of a step as im2col + sgemm, the products already
 * near sgemm's peak, so only fewer multiplications could make it much
 * faster. F(2x2, 3x3) needs 2.25x fewer, but its products are short (K =
 * C or F, or a [F, C] result): BLIS 0.9 'skx', packing both operands on
 * every call, ran them at 54-124 GFLOP/s against 120-140 for the im2col
 * products, which kept Winograd to the forward pass (conv2 forward 5.44 ->
 * 4.99 ms, the step about 2% faster). Every one of them has a side of at
 * most 64, which nn_gemm_1t now gives to the register-tiled kernel
 * (gemm_thin.c, AVX-512 builds) at 170-210 GFLOP/s (same operands, best of
 * 100 calls: forward [64, 32] . [32, 896] 29.6 -> 17.5 us, input gradient
 * [32, 64] . [64, 1024] 37.0 -> 24.7 us, weight gradient [64, 896] .
 * [896, 32] 68.1 -> 19.6 us). With it all three passes pay: on 2 cores of
 * an AMD EPYC (AVX-512), thread CPU time of `build/nn_layer_cputime CNN.ini
 * 40` with the bench's config, 3 runs alternating with the previous build,
 * conv2 forward 3.41-3.58 -> 2.33-2.40 ms and backward 7.89-8.19 ->
 * 5.47-5.55 ms (docs/cnn.md has the tables and commands).
 *
 * Accuracy: the transforms have coefficients 0, +-1 and +-1/2, so the
 * result differs from the direct sum by rounding only (a few float32 ulps of
 * the sums of |terms|); tests/unit/test_train_conv.c checks it against the
 * GEMM path.
 *
 * Tiles past the output's edge (odd Ho or Wo) are computed on zero input
 * and dropped. Padding costs no copy: rows above and below the input read a
 * zero row, and the first pass writes into rows whose padding columns stay
 * zero. */
#include <omp.h>
#include <string.h>

#include "layers/layers_internal.h"
#include "nn/core.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* The row passes of the input and weight-gradient transforms: four sums of
 * up to four rows of a map, n columns. With AVX-512, 16 columns a step and
 * the last step masked: a 14-wide map (the bench CNN's conv2) is one vector
 * instead of GCC's 8-wide vector plus 6 scalar steps with their register
 * spills, which made input_tiles about a sixth of a step in perf. */
#if defined(__AVX512F__)
static __mmask16 tail_mask(int left)
{
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
}

/* B^T d: w0 = d0 - d2, w1 = d1 + d2, w2 = d2 - d1, w3 = d1 - d3 */
static void btd_rows(const float *d0, const float *d1, const float *d2, const float *d3, int n,
                     float *w0, float *w1, float *w2, float *w3)
{
    for (int j = 0; j < n; j += 16) {
        const __mmask16 m = tail_mask(n - j);
        const __m512 a = _mm512_maskz_loadu_ps(m, d0 + j), b = _mm512_maskz_loadu_ps(m, d1 + j);
        const __m512 c = _mm512_maskz_loadu_ps(m, d2 + j), d = _mm512_maskz_loadu_ps(m, d3 + j);
        _mm512_mask_storeu_ps(w0 + j, m, _mm512_sub_ps(a, c));
        _mm512_mask_storeu_ps(w1 + j, m, _mm512_add_ps(b, c));
        _mm512_mask_storeu_ps(w2 + j, m, _mm512_sub_ps(c, b));
        _mm512_mask_storeu_ps(w3 + j, m, _mm512_sub_ps(b, d));
    }
}

/* A dY: w0 = a, w1 = a + c, w2 = a - c, w3 = -c */
static void ady_rows(const float *a, const float *c, int n, float *w0, float *w1, float *w2,
                     float *w3)
{
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    for (int j = 0; j < n; j += 16) {
        const __mmask16 m = tail_mask(n - j);
        const __m512 x = _mm512_maskz_loadu_ps(m, a + j), y = _mm512_maskz_loadu_ps(m, c + j);
        _mm512_mask_storeu_ps(w0 + j, m, x);
        _mm512_mask_storeu_ps(w1 + j, m, _mm512_add_ps(x, y));
        _mm512_mask_storeu_ps(w2 + j, m, _mm512_sub_ps(x, y));
        _mm512_mask_storeu_ps(w3 + j, m,
                              _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(y), sign)));
    }
}
#else
static void btd_rows(const float *d0, const float *d1, const float *d2, const float *d3, int n,
                     float *w0, float *w1, float *w2, float *w3)
{
#pragma omp simd
    for (int j = 0; j < n; ++j) {
        w0[j] = d0[j] - d2[j];
        w1[j] = d1[j] + d2[j];
        w2[j] = d2[j] - d1[j];
        w3[j] = d1[j] - d3[j];
    }
}

static void ady_rows(const float *a, const float *c, int n, float *w0, float *w1, float *w2,
                     float *w3)
{
#pragma omp simd
    for (int j = 0; j < n; ++j) {
        w0[j] = a[j];
        w1[j] = a[j] + c[j];
        w2[j] = a[j] - c[j];
        w3[j] = -c[j];
    }
}
#endif

nn_wino_geom nn_wino_geometry(int cin, int cout, int h, int w, int p)
{
    nn_wino_geom g;
    g.cin = cin;
    g.cout = cout;
    g.h = h;
    g.w = w;
    g.p = p;
    g.ho = h + 2 * p - 2;
    g.wo = w + 2 * p - 2;
    g.th = (g.ho + 1) / 2;
    g.tw = (g.wo + 1) / 2;
    return g;
}

/* Tiles of one sample as laid out in V and M: th rows of tw + 1, the last
 * of each row on the padding and dropped (see input_tiles). */
size_t nn_wino_tiles(const nn_wino_geom *g) { return (size_t)g->th * (g->tw + 1); }
static size_t tiles(const nn_wino_geom *g) { return nn_wino_tiles(g); }
static size_t rows_floats(const nn_wino_geom *g)
{
    return nn_round16((size_t)g->th * (2 * g->tw + 2) + 4);
}

size_t nn_wino_ws_floats(const nn_wino_geom *g, int n)
{
    const size_t P = (size_t)n * tiles(g);
    return nn_round16(16 * (size_t)g->cin * P) + nn_round16(16 * (size_t)g->cout * P) +
           nn_round16((size_t)g->w) /* a zero row */ + 4 * rows_floats(g) +
           nn_round16((size_t)g->ho * g->wo); /* output_tiles' index table */
}

/* u [4][4] = G g G^T for one 3x3 kernel g (rows gs apart, columns gc
 * apart: gs = 3, gc = 1 as stored; -3, -1 from its last entry for the
 * kernel rotated by 180 degrees). */
static void filter_tile(const float *g, int gs, int gc, float u[16])
{
    float t[4][3]; /* G g: 4 x 3 */
    for (int j = 0; j < 3; ++j) {
        const float a = g[0 * gs + j * gc], b = g[1 * gs + j * gc], c = g[2 * gs + j * gc];
        t[0][j] = a;
        t[1][j] = 0.5f * (a + b + c);
        t[2][j] = 0.5f * (a - b + c);
        t[3][j] = c;
    }
    for (int i = 0; i < 4; ++i) { /* (G g) G^T */
        const float a = t[i][0], b = t[i][1], c = t[i][2];
        u[i * 4 + 0] = a;
        u[i * 4 + 1] = 0.5f * (a + b + c);
        u[i * 4 + 2] = 0.5f * (a - b + c);
        u[i * 4 + 3] = c;
    }
}

void nn_wino_filters(const float *W, int F, int C, int flip, float *U)
{
    /* forward: U [16][F][C] from W [F][C][3][3]; flip: U [16][C][F] from
     * W rotated by 180 degrees (the input gradient's filters) */
    const int rows = flip ? C : F, cols = flip ? F : C;
    for (int f = 0; f < F; ++f)
        for (int c = 0; c < C; ++c) {
            const float *g = W + ((size_t)f * C + c) * 9;
            float u[16];
            if (flip)
                filter_tile(g + 8, -3, -1, u);
            else
                filter_tile(g, 3, 1, u);
            const size_t at = flip ? (size_t)c * cols + f : (size_t)f * cols + c;
            for (int e = 0; e < 16; ++e)
                U[(size_t)e * rows * cols + at] = u[e];
        }
}

/* V [16][cin][ldp], columns p0 .. p0 + tiles(g): B^T d B of every tile of
 * the sample x [cin, h, w]. Why a dropped tile per row: with tw + 1 tiles a
 * row, tile p's columns start at 2p in the row-transformed map (rows of
 * 2 tw + 2), so the column transform is one long loop over all tiles of a
 * plane with a fixed stride instead of th loops of tw (7 for 14 x 14, too
 * short to vectorise). The extra tile costs 1/tw more products. */
static void input_tiles(const nn_wino_geom *g, const float *x, float *V, size_t ldp, size_t p0,
                        const float *zero, float *rows)
{
    const int PW = 2 * g->tw + 2;
    const long nt = (long)tiles(g);
    const size_t plane = (size_t)g->h * g->w, estride = (size_t)g->cin * ldp, rs = rows_floats(g);
    /* the columns of rows outside [p, p + w) are the padding: zero for
     * every channel, as is the slack the dropped last tile reads */
    memset(rows, 0, 4 * rs * sizeof(float));
    float *w0 = rows, *w1 = rows + rs, *w2 = rows + 2 * rs, *w3 = rows + 3 * rs;
    for (int c = 0; c < g->cin; ++c) {
        const float *xc = x + (size_t)c * plane;
        /* The next plane, while this one is transformed: the loads of x
         * stalled for about half of input_tiles' time in perf (x of the
         * weight gradient comes from the forward pass, long out of L1 and
         * L2), and the prefetch took the bench CNN's layers from 10.4-11.0
         * to 9.8-10.1 ms (nn_layer_cputime, 3 alternating runs). */
        if (c + 1 < g->cin)
            for (size_t q = 0; q < plane; q += 16)
                __builtin_prefetch(xc + plane + q);
        for (int ty = 0; ty < g->th; ++ty) { /* B^T d: rows of tile row ty */
            const float *d[4];
            for (int k = 0; k < 4; ++k) { /* input rows; those in the padding read zeros */
                const int r = 2 * ty - g->p + k;
                d[k] = r >= 0 && r < g->h ? xc + (size_t)r * g->w : zero;
            }
            const size_t o = (size_t)ty * PW + g->p;
            btd_rows(d[0], d[1], d[2], d[3], g->w, w0 + o, w1 + o, w2 + o, w3 + o);
        }
        float *vc = V + (size_t)c * ldp + p0;
        for (int i = 0; i < 4; ++i) { /* (B^T d) B: columns, every tile at once */
            const float *s = rows + i * rs;
            float *v0 = vc + (size_t)(4 * i) * estride, *v1 = v0 + estride, *v2 = v1 + estride,
                  *v3 = v2 + estride;
#pragma omp simd
            for (long p = 0; p < nt; ++p) {
                const float a = s[2 * p], b = s[2 * p + 1], cc = s[2 * p + 2], d = s[2 * p + 3];
                v0[p] = a - cc;
                v1[p] = b + cc;
                v2[p] = cc - b;
                v3[p] = b - d;
            }
        }
    }
}

/* The 2 x 2 outputs y00 y01 / y10 y11 [nt] of every tile of one filter's
 * plane from m (its column of M [16][cout][..], elements estride apart):
 * A^T m A, all tiles in one loop. */
static void tile_outputs(const float *m, size_t estride, long nt, float *restrict y00,
                         float *restrict y01, float *restrict y10, float *restrict y11)
{
#pragma omp simd
    for (long p = 0; p < nt; ++p) {
        float s0[4], s1[4]; /* A^T m: 2 x 4 */
        for (int j = 0; j < 4; ++j) {
            const float a = m[(size_t)j * estride + p], b = m[(size_t)(4 + j) * estride + p],
                        c = m[(size_t)(8 + j) * estride + p], d = m[(size_t)(12 + j) * estride + p];
            s0[j] = a + b + c;
            s1[j] = b - c - d;
        }
        y00[p] = s0[0] + s0[1] + s0[2];
        y01[p] = s0[1] - s0[2] - s0[3];
        y10[p] = s1[0] + s1[1] + s1[2];
        y11[p] = s1[1] - s1[2] - s1[3];
    }
}

/* The forward output of one sample max-pooled over each 2 x 2 tile (a
 * convolution absorbing its pool, conv_pool.c): bias and activation, then
 * the tile's maximum with maxpool.c's tie rules (the top row, then the left
 * column), into o->pool_y and its position in the output plane into
 * o->pool_at. Tiles past the pool's last full window are dropped. */
static void pooled_tiles(const nn_wino_geom *g, const float *M, size_t ldp, size_t p0,
                         const nn_wino_out *o, float *pool_y, int32_t *pool_at, float *rows)
{
    const long nt = (long)tiles(g), tq = g->tw + 1;
    const int ph = g->ho / 2, pw = g->wo / 2, relu = o->act == NN_ACT_RELU;
    const size_t estride = (size_t)g->cout * ldp, rs = rows_floats(g), plane = (size_t)ph * pw;
    float *y00 = rows, *y01 = rows + rs, *y10 = rows + 2 * rs, *y11 = rows + 3 * rs;
    const float down = (float)g->wo; /* offsets of a tile's outputs from its top left one */
    for (int f = 0; f < g->cout; ++f) {
        tile_outputs(M + (size_t)f * ldp + p0, estride, nt, y00, y01, y10, y11);
        const float b = o->bias ? o->bias[f] : 0.0f;
#pragma omp simd
        for (long p = 0; p < nt; ++p) { /* the maximum into y00, its offset into y01 */
            float a = y00[p] + b, c = y01[p] + b, d = y10[p] + b, e = y11[p] + b;
            if (relu) {
                a = a > 0.0f ? a : 0.0f;
                c = c > 0.0f ? c : 0.0f;
                d = d > 0.0f ? d : 0.0f;
                e = e > 0.0f ? e : 0.0f;
            }
            const float left = d > a ? d : a, right = e > c ? e : c;
            const float at_left = d > a ? down : 0.0f, at_right = (e > c ? down : 0.0f) + 1.0f;
            y00[p] = right > left ? right : left;
            y01[p] = right > left ? at_right : at_left;
        }
        float *yf = pool_y + (size_t)f * plane;
        int32_t *af = pool_at + (size_t)f * plane;
        for (int i = 0; i < ph; ++i)
            for (int j = 0; j < pw; ++j) {
                const long p = (long)i * tq + j;
                yf[i * pw + j] = y00[p];
                af[i * pw + j] = 2 * i * g->wo + 2 * j + (int32_t)y01[p];
            }
    }
}

/* y [cout, ho, wo] of one sample from M [16][cout][ldp] (its tiles at
 * columns p0 ..): A^T m A for every tile of a plane in one loop, then the
 * 2 x 2 blocks are interleaved into the output rows with bias and
 * activation (forward) or stored / added (input gradient). */
static void output_tiles(const nn_wino_geom *g, const float *M, size_t ldp, size_t p0,
                         const nn_wino_out *o, float *y, float *rows)
{
    const long nt = (long)tiles(g), tq = g->tw + 1;
    const size_t estride = (size_t)g->cout * ldp, HW = (size_t)g->ho * g->wo, rs = rows_floats(g);
    float *y00 = rows, *y01 = rows + rs, *y10 = rows + 2 * rs, *y11 = rows + 3 * rs;
    int *at = (int *)(rows + 4 * rs); /* [HW]: where output q is among y00 .. y11 */
    for (int r = 0, q = 0; r < g->ho; ++r)
        for (int j = 0; j < g->wo; ++j, ++q)
            at[q] = (int)(((r & 1) * 2 + (j & 1)) * rs + (size_t)(r / 2) * tq + j / 2);
    for (int f = 0; f < g->cout; ++f) {
        tile_outputs(M + (size_t)f * ldp + p0, estride, nt, y00, y01, y10, y11);
        float *yf = y + (size_t)f * HW;
        const float b = o->bias ? o->bias[f] : 0.0f;
        if (o->add) {
#pragma omp simd
            for (size_t q = 0; q < HW; ++q)
                yf[q] += y00[at[q]];
        } else if (o->act == NN_ACT_RELU) {
#pragma omp simd
            for (size_t q = 0; q < HW; ++q) {
                const float v = y00[at[q]] + b;
                yf[q] = v > 0.0f ? v : 0.0f;
            }
        } else {
#pragma omp simd
            for (size_t q = 0; q < HW; ++q)
                yf[q] = y00[at[q]] + b;
        }
        if (!o->add && o->act != NN_ACT_RELU && o->act != NN_ACT_LINEAR && o->act != NN_ACT_SOFTMAX)
            nn_activation_forward(o->act, yf, 1, HW);
    }
}

void nn_wino_conv(nn_layer *l, const nn_wino_geom *g, const float *U, const float *x,
                  size_t x_stride, int n, float *ws, const nn_wino_out *o, float *y,
                  size_t y_stride)
{
    const size_t T = tiles(g), P = (size_t)n * T;
    float *V = ws;                                          /* [16][cin][P] */
    float *M = V + nn_round16(16 * (size_t)g->cin * P);     /* [16][cout][P] */
    float *zero = M + nn_round16(16 * (size_t)g->cout * P); /* [w] */
    float *rows = zero + nn_round16((size_t)g->w);          /* 4 rows_floats(g), then [ho wo] */
    memset(zero, 0, (size_t)g->w * sizeof(float));
    for (int i = 0; i < n; ++i)
        input_tiles(g, x + (size_t)i * x_stride, V, P, (size_t)i * T, zero, rows);
    double t0 = l->profile ? omp_get_wtime() : 0.0;
    for (int e = 0; e < 16; ++e) /* M_e [cout, P] = U_e [cout, cin] . V_e [cin, P] */
        nn_gemm_1t(1.0f, nn_mat_rm((float *)U + (size_t)e * g->cout * g->cin, g->cout, g->cin),
                   nn_mat_rm(V + (size_t)e * g->cin * P, g->cin, (long)P), 0.0f,
                   nn_mat_rm(M + (size_t)e * g->cout * P, g->cout, (long)P));
    nn_conv_count_products(l, t0, 32.0 * g->cout * g->cin * (double)P);
    for (int i = 0; i < n; ++i) {
        if (o->pool_y) {
            pooled_tiles(g, M, P, (size_t)i * T, o, o->pool_y + (size_t)i * o->pool_stride,
                         o->pool_at + (size_t)i * o->pool_stride, rows);
            continue;
        }
        output_tiles(g, M, P, (size_t)i * T, o, y + (size_t)i * y_stride, rows);
        if (!o->add && o->act == NN_ACT_SOFTMAX) /* over the whole sample, as in conv.c */
            nn_activation_forward(o->act, y + (size_t)i * y_stride, 1,
                                  (size_t)g->cout * g->ho * g->wo);
    }
}

/* The weight gradient, F(3x3, 2x2) by the transposition of the forward
 * formula: with y = A^T (U (.) V) A and U = G g G^T,
 *     dM = A dY A^T             for every 2 x 2 tile of dL/dZ (16 values)
 *     dU_e [cout, cin] += dM_e [cout, P] . V_e^T [P, cin]   (V as in forward)
 *     dW = G^T dU G             per filter and channel, once per step
 * Tiles past the output's edge and each row's dropped tile have dY = 0, so
 * they add nothing. */

/* dM [16][cout][ldp], columns p0 .. p0 + tiles(g): A dY A^T of every tile
 * of one sample's dL/dZ dy [cout, ho, wo]. The two passes mirror
 * input_tiles: rows of A dY (dY0, dY0 + dY1, dY0 - dY1, -dY1) for a whole
 * tile row, then the columns of every tile of the plane in one loop. */
static void grad_tiles(const nn_wino_geom *g, const float *dy, float *dM, size_t ldp, size_t p0,
                       const float *zero, float *rows)
{
    const int PW = 2 * g->tw + 2;
    const long nt = (long)tiles(g);
    const size_t plane = (size_t)g->ho * g->wo, estride = (size_t)g->cout * ldp;
    const size_t rs = rows_floats(g);
    /* columns past wo (the dropped tile, an odd edge) stay zero */
    memset(rows, 0, 4 * rs * sizeof(float));
    float *w0 = rows, *w1 = rows + rs, *w2 = rows + 2 * rs, *w3 = rows + 3 * rs;
    for (int f = 0; f < g->cout; ++f) {
        const float *yf = dy + (size_t)f * plane;
        for (int ty = 0; ty < g->th; ++ty) {
            const float *a = yf + (size_t)(2 * ty) * g->wo;
            const float *c = 2 * ty + 1 < g->ho ? a + g->wo : zero;
            const size_t o = (size_t)ty * PW;
            ady_rows(a, c, g->wo, w0 + o, w1 + o, w2 + o, w3 + o);
        }
        float *mf = dM + (size_t)f * ldp + p0;
        for (int i = 0; i < 4; ++i) {
            const float *s = rows + i * rs;
            float *m0 = mf + (size_t)(4 * i) * estride, *m1 = m0 + estride, *m2 = m1 + estride,
                  *m3 = m2 + estride;
#pragma omp simd
            for (long p = 0; p < nt; ++p) {
                const float u = s[2 * p], v = s[2 * p + 1];
                m0[p] = u;
                m1[p] = u + v;
                m2[p] = u - v;
                m3[p] = -v;
            }
        }
    }
}

void nn_wino_dw(nn_layer *l, const nn_wino_geom *g, const float *x, size_t x_stride,
                const float *dy, size_t dy_stride, int n, float *ws, float *dU, int first)
{
    const size_t T = tiles(g), P = (size_t)n * T;
    float *V = ws;                                           /* [16][cin][P] */
    float *dM = V + nn_round16(16 * (size_t)g->cin * P);     /* [16][cout][P] */
    float *zero = dM + nn_round16(16 * (size_t)g->cout * P); /* [w] */
    float *rows = zero + nn_round16((size_t)g->w);
    memset(zero, 0, (size_t)g->w * sizeof(float));
    for (int i = 0; i < n; ++i) {
        input_tiles(g, x + (size_t)i * x_stride, V, P, (size_t)i * T, zero, rows);
        grad_tiles(g, dy + (size_t)i * dy_stride, dM, P, (size_t)i * T, zero, rows);
    }
    double t0 = l->profile ? omp_get_wtime() : 0.0;
    for (int e = 0; e < 16; ++e) /* dU_e [cout, cin] (+)= dM_e [cout, P] . V_e^T [P, cin] */
        nn_gemm_1t(1.0f, nn_mat_rm(dM + (size_t)e * g->cout * P, g->cout, (long)P),
                   nn_mat_t(nn_mat_rm(V + (size_t)e * g->cin * P, g->cin, (long)P)),
                   first ? 0.0f : 1.0f,
                   nn_mat_rm(dU + (size_t)e * g->cout * g->cin, g->cout, g->cin));
    nn_conv_count_products(l, t0, 32.0 * g->cout * g->cin * (double)P);
}

void nn_wino_dw_filters(const float *dU, int F, int C, float *dWt)
{
    const size_t FC = (size_t)F * C;
    for (int f = 0; f < F; ++f)
        for (int c = 0; c < C; ++c) {
            float u[4][4], t[3][4]; /* dU of (f, c); G^T dU: 3 x 4 */
            for (int e = 0; e < 16; ++e)
                u[e / 4][e % 4] = dU[(size_t)e * FC + (size_t)f * C + c];
            for (int j = 0; j < 4; ++j) {
                t[0][j] = u[0][j] + 0.5f * (u[1][j] + u[2][j]);
                t[1][j] = 0.5f * (u[1][j] - u[2][j]);
                t[2][j] = 0.5f * (u[1][j] + u[2][j]) + u[3][j];
            }
            for (int i = 0; i < 3; ++i) { /* (G^T dU) G, into dW^T [C 9, F] */
                float *d = dWt + ((size_t)c * 9 + (size_t)i * 3) * F + f;
                d[0] = t[i][0] + 0.5f * (t[i][1] + t[i][2]);
                d[F] = 0.5f * (t[i][1] - t[i][2]);
                d[2 * (size_t)F] = 0.5f * (t[i][1] + t[i][2]) + t[i][3];
            }
        }
}
