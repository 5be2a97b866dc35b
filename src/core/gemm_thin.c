/* Matrix products with a thin operand, C [m, n] = alpha A [m, k] . B [k, n] + beta C,
 * without BLIS's packing: a tile of 6 rows x 64 columns of C stays in 24
 * AVX-512 registers while the inner index runs, each step broadcasting one
 * element of A per row and loading one row of B (4 vectors). B is read in
 * blocks of BLIS's KC rows (384 for 'skx': 96 KB for 64 columns, held in
 * L2 while every row tile of C passes over it); a column-major B (a
 * transposed view: dX = dZ . W^T) is first copied block by block into that
 * row-major layout.
 *
 * Why: the dense layers' products are thin (the homework MLP's are
 * 32 x 1024 x 64 and smaller; the bench CNN's fc1 has 64 rows), so BLIS
 * packs an operand it then uses for a few rows only, and every call pays a
 * few microseconds of set-up. Measured on an AMD EPYC (Zen 5, 2 cores,
 * AVX-512), best of 500 calls, BLIS 0.9 'skx' against nn_gemm with this
 * kernel (a throwaway driver timing both on the same operands):
 *     32 x 1024 x 64 (MLP hidden forward)     46 us -> 19 us
 *     1024 x 32 x 64 (its weight gradient)    32 us -> 20 us
 *     32 x 64 x 36, 64 x 32 x 36, 32 x 36 x 64 (output layer)   6-7 us -> 1.0-1.4 us
 *     64 x 3136 x 128 (CNN fc1 forward)       1 thread 369 -> 237 us, 2 threads 317 -> 146 us
 *     3136 x 64 x 128 (fc1 weight gradient)   1 thread 281 -> 237 us, 2 threads 175 -> 128 us
 *     64 x 128 x 3136 (fc1 dX, B copied)      1 thread 444 -> 268 us, 2 threads 237 -> 140 us
 * bench/profile.c measures the layers (numbers in the README).
 *
 * Each element of C is one chain of fused multiply-adds per block of the
 * inner index, in index order, the blocks cut as BLIS cuts them and added
 * to C as BLIS's kernels add them: with alpha = 1 and beta 0 or 1 the
 * result is BLIS's 'skx' result bit for bit (test_core_blas), so training
 * gives the same weights as before, and splitting a product over threads by
 * rows or columns does not change the bits either. */
#include "core/gemm_thin.h"

#if defined(__AVX512F__)
#include <immintrin.h>

enum { KC_MAX = NN_GEMM_THIN_KC_MAX, MR = NN_GEMM_THIN_MR, NV = NN_GEMM_THIN_NR / 16 };

int nn_gemm_thin_fits(nn_mat a, nn_mat b, nn_mat c)
{
    (void)a;
    return c.cs == 1 && (b.cs == 1 || b.rs == 1);
}

/* One mr x (16 nv) tile of C over k inner indices; the last vector of a row
 * keeps the lanes in `last`. mr and nv are constants in every instance
 * (the switch in tile_any), so the loops unroll and acc stays in registers. */
static inline __attribute__((always_inline)) void tile(int mr, int nv, __mmask16 last, float alpha,
                                                       const float *a, long ars, long acs,
                                                       const float *b, long brs, float beta,
                                                       float *c, long crs, long k)
{
    __m512 acc[MR][NV];
#pragma GCC unroll 8
    for (int r = 0; r < mr; ++r)
#pragma GCC unroll 8
        for (int v = 0; v < nv; ++v)
            acc[r][v] = _mm512_setzero_ps();
    for (long p = 0; p < k; ++p) {
        __m512 bv[NV];
        const float *bp = b + p * brs;
#pragma GCC unroll 8
        for (int v = 0; v < nv; ++v)
            bv[v] = v == nv - 1 ? _mm512_maskz_loadu_ps(last, bp + 16 * v)
                                : _mm512_loadu_ps(bp + 16 * v);
#pragma GCC unroll 8
        for (int r = 0; r < mr; ++r) {
            const __m512 av = _mm512_set1_ps(a[r * ars + p * acs]);
#pragma GCC unroll 8
            for (int v = 0; v < nv; ++v)
                acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    /* BLIS's epilogue: C = beta C + alpha AB, one rounding for the sum */
    const __m512 al = _mm512_set1_ps(alpha), be = _mm512_set1_ps(beta);
#pragma GCC unroll 8
    for (int r = 0; r < mr; ++r)
#pragma GCC unroll 8
        for (int v = 0; v < nv; ++v) {
            float *cp = c + r * crs + 16 * v;
            const __mmask16 m = v == nv - 1 ? last : (__mmask16)0xffff;
            __m512 x = _mm512_mul_ps(al, acc[r][v]);
            if (beta != 0.0f) /* beta = 0 never reads C (it may hold NaN) */
                x = _mm512_fmadd_ps(be, _mm512_maskz_loadu_ps(m, cp), x);
            _mm512_mask_storeu_ps(cp, m, x);
        }
}

#define TILE(R, V) tile(R, V, last, alpha, a, ars, acs, b, brs, beta, c, crs, k)
#define TILE_ROW(R)             \
    switch (nv) {               \
    case 1: TILE(R, 1); break;  \
    case 2: TILE(R, 2); break;  \
    case 3: TILE(R, 3); break;  \
    default: TILE(R, 4); break; \
    }

static void tile_any(int mr, int nv, __mmask16 last, float alpha, const float *a, long ars,
                     long acs, const float *b, long brs, float beta, float *c, long crs, long k)
{
    switch (mr) {
    case 1: TILE_ROW(1) break;
    case 2: TILE_ROW(2) break;
    case 3: TILE_ROW(3) break;
    case 4: TILE_ROW(4) break;
    case 5: TILE_ROW(5) break;
    default: TILE_ROW(6) break;
    }
}

/* dst [16, 16] (row stride ld_dst) = the transpose of src [16, 16] (row
 * stride ld_src), in registers: pairs of rows interleaved by 1, 2, 4 and 8
 * elements (unpack, shuffle, two 128-bit lane shuffles). */
static void transpose16(const float *src, long ld_src, float *dst, long ld_dst)
{
    __m512 r[16], t[16];
    for (int i = 0; i < 16; ++i)
        r[i] = _mm512_loadu_ps(src + i * ld_src);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int h = 0; h < 16; h += 8)
        for (int i = 0; i < 4; ++i) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
        }
    for (int i = 0; i < 8; ++i) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
    for (int i = 0; i < 16; ++i)
        _mm512_storeu_ps(dst + i * ld_dst, r[i]);
}

/* buf [kc, w] (row stride NN_GEMM_THIN_NR) = B [p0 : p0+kc, j : j+w] of a
 * column-major B: each source column is contiguous. Whole 16 x 16 squares
 * are transposed in registers, the edges element by element (element by
 * element throughout, fc1's dX took 392 us on 1 thread, 190 on 2; with the
 * squares 270 and 142, best of 500 calls each, two alternating runs). */
static void copy_block(float *restrict buf, nn_mat b, long p0, long kc, long j, long w)
{
    const long w16 = w / 16 * 16, kc16 = kc / 16 * 16;
    for (long jj = 0; jj < w16; jj += 16)
        for (long p = 0; p < kc16; p += 16)
            transpose16(b.data + (j + jj) * b.cs + p0 + p, b.cs, buf + p * NN_GEMM_THIN_NR + jj,
                        NN_GEMM_THIN_NR);
    for (long jj = 0; jj < w; ++jj) {
        const float *restrict col = b.data + (j + jj) * b.cs + p0;
        for (long p = jj < w16 ? kc16 : 0; p < kc; ++p)
            buf[p * NN_GEMM_THIN_NR + jj] = col[p];
    }
}

void nn_gemm_thin(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c, long i0, long i1, long j0,
                  long j1, nn_gemm_thin_blocks blk)
{
    const long k = a.cols;
    const int copy = b.cs != 1;
    _Alignas(64) float buf[copy ? KC_MAX * NN_GEMM_THIN_NR : 1];
    for (long j = j0; j < j1; j += NN_GEMM_THIN_NR) {
        const long w = j1 - j < NN_GEMM_THIN_NR ? j1 - j : NN_GEMM_THIN_NR;
        const int nv = (int)((w + 15) / 16);
        const __mmask16 last = (__mmask16)(w % 16 ? (1u << (w % 16)) - 1 : 0xffffu);
        for (long p0 = 0, kc; p0 < k; p0 += kc) {
            /* BLIS's rule: blocks of kc_def until what is left fits in kc_max */
            kc = k - p0 <= blk.kc_max ? k - p0 : blk.kc_def;
            const float *bb = b.data + p0 * b.rs + j;
            long brs = b.rs;
            if (copy) {
                copy_block(buf, b, p0, kc, j, w);
                bb = buf, brs = NN_GEMM_THIN_NR;
            }
            /* later blocks add to what the first one wrote */
            const float be = p0 == 0 ? beta : 1.0f;
            for (long i = i0; i < i1; i += MR) {
                const int mr = (int)(i1 - i < MR ? i1 - i : MR);
                tile_any(mr, nv, last, alpha, a.data + i * a.rs + p0 * a.cs, a.rs, a.cs, bb, brs,
                         be, c.data + i * c.rs + j, c.rs, kc);
            }
        }
    }
}

#else /* no AVX-512: nn_gemm keeps BLIS */

int nn_gemm_thin_fits(nn_mat a, nn_mat b, nn_mat c)
{
    (void)a, (void)b, (void)c;
    return 0;
}

void nn_gemm_thin(float alpha, nn_mat a, nn_mat b, float beta, nn_mat c, long i0, long i1, long j0,
                  long j1, nn_gemm_thin_blocks blk)
{
    (void)alpha, (void)a, (void)b, (void)beta, (void)c, (void)i0, (void)i1, (void)j0, (void)j1;
    (void)blk;
}

#endif
