/* im2col and its adjoint for 2-D convolutions: the patch matrix that turns a
 * convolution into one matrix product (W [filters, c*k*k] . col). Rows are
 * contiguous runs of an input row when the stride is 1, so the common case
 * is memcpy / a vectorised add with zero edges. */
#include <string.h>

#include "layers/layers_internal.h"

/* Output columns [lo, hi) whose input column ow*s - p + kw lies inside [0, w). */
static void valid_cols(const nn_conv_geom *g, int kw, int *lo, int *hi)
{
    int a = g->p - kw, b = g->w + g->p - kw; /* ow*s in [a, b) */
    int l = a <= 0 ? 0 : (a + g->s - 1) / g->s;
    int h = b <= 0 ? 0 : (b + g->s - 1) / g->s;
    *lo = l < g->wo ? l : g->wo;
    *hi = h < g->wo ? h : g->wo;
    if (*hi < *lo)
        *hi = *lo;
}

/* A "same" convolution at stride 1 (k = 2p + 1, so ho = h and wo = w):
 * output position o = oh * w + ow of row (ci, kh, kw) reads input position
 * o + (kh - p) * w + (kw - p) of plane ci. A row of col is then the plane
 * shifted by a constant: one long copy over the valid output rows
 * [oh0, oh1), then zeros for the rows above and below and for the columns
 * outside [lo, hi) (which the flat copy filled from neighbouring rows). The
 * copy reads only inside the plane: it runs from the first valid position
 * to the last. */
static int is_same(const nn_conv_geom *g)
{
    return g->s == 1 && g->k == 2 * g->p + 1 && g->ho == g->h && g->wo == g->w;
}

static void same_rows(const nn_conv_geom *g, int kh, int *oh0, int *oh1)
{
    *oh0 = g->p - kh > 0 ? g->p - kh : 0;
    *oh1 = g->h + g->p - kh < g->h ? g->h + g->p - kh : g->h;
}

static void im2col_same(const nn_conv_geom *g, const float *x, float *col, size_t ld)
{
    const int k = g->k, p = g->p, w = g->w;
    const size_t n = (size_t)g->h * w;
    for (int ci = 0; ci < g->c; ++ci)
        for (int kh = 0; kh < k; ++kh)
            for (int kw = 0; kw < k; ++kw) {
                float *restrict dst = col + ((size_t)(ci * k + kh) * k + kw) * ld; /* [h, w] */
                const float *restrict plane = x + (size_t)ci * n;
                int lo, hi, oh0, oh1;
                valid_cols(g, kw, &lo, &hi);
                same_rows(g, kh, &oh0, &oh1);
                if (oh0 >= oh1 || lo >= hi) { /* the whole row lies in the padding */
                    memset(dst, 0, n * sizeof(float));
                    continue;
                }
                const long off = (long)(kh - p) * w + (kw - p);
                const long first = (long)oh0 * w + lo, last = (long)(oh1 - 1) * w + hi;
                for (long o = 0; o < first; ++o)
                    dst[o] = 0.0f;
                for (long o = first; o < last; ++o)
                    dst[o] = plane[o + off];
                for (long o = last; o < (long)n; ++o)
                    dst[o] = 0.0f;
                for (int oh = oh0; oh < oh1; ++oh) { /* columns in the padding */
                    for (int ow = 0; ow < lo; ++ow)
                        dst[(size_t)oh * w + ow] = 0.0f;
                    for (int ow = hi; ow < w; ++ow)
                        dst[(size_t)oh * w + ow] = 0.0f;
                }
            }
}

/* The adjoint of im2col_same. dcol's entries at padding positions must be
 * dropped, not added to a neighbouring row's pixel: they are zeroed first
 * (dcol is scratch), then one flat add covers the valid rows. */
static void col2im_same(const nn_conv_geom *g, float *dcol, size_t ld, float *dx)
{
    const int k = g->k, p = g->p, w = g->w;
    const size_t n = (size_t)g->h * w;
    for (int ci = 0; ci < g->c; ++ci)
        for (int kh = 0; kh < k; ++kh)
            for (int kw = 0; kw < k; ++kw) {
                float *restrict src = dcol + ((size_t)(ci * k + kh) * k + kw) * ld;
                float *restrict plane = dx + (size_t)ci * n;
                int lo, hi, oh0, oh1;
                valid_cols(g, kw, &lo, &hi);
                same_rows(g, kh, &oh0, &oh1);
                if (oh0 >= oh1 || lo >= hi)
                    continue;
                for (int oh = oh0; oh < oh1; ++oh) {
                    for (int ow = 0; ow < lo; ++ow)
                        src[(size_t)oh * w + ow] = 0.0f;
                    for (int ow = hi; ow < w; ++ow)
                        src[(size_t)oh * w + ow] = 0.0f;
                }
                const long off = (long)(kh - p) * w + (kw - p);
                const long first = (long)oh0 * w + lo, last = (long)(oh1 - 1) * w + hi;
                for (long o = first; o < last; ++o)
                    plane[o + off] += src[o];
            }
}

void nn_im2col(const nn_conv_geom *g, const float *x, float *col, size_t ld)
{
    if (is_same(g)) {
        im2col_same(g, x, col, ld);
        return;
    }
    const int k = g->k, s = g->s, p = g->p, wo = g->wo;
    for (int ci = 0; ci < g->c; ++ci)
        for (int kh = 0; kh < k; ++kh)
            for (int kw = 0; kw < k; ++kw) {
                float *dst = col + ((size_t)(ci * k + kh) * k + kw) * ld; /* [ho, wo] */
                int lo, hi;
                valid_cols(g, kw, &lo, &hi);
                for (int oh = 0; oh < g->ho; ++oh) {
                    float *d = dst + (size_t)oh * wo;
                    const int ih = oh * s - p + kh;
                    if (ih < 0 || ih >= g->h) {
                        memset(d, 0, (size_t)wo * sizeof(float));
                        continue;
                    }
                    const float *src = x + ((size_t)ci * g->h + ih) * g->w; /* [w] */
                    const int shift = kw - p;
                    /* Plain loops, not memcpy/memset: rows are a few dozen
                     * floats, where call overhead would dominate. */
                    for (int ow = 0; ow < lo; ++ow)
                        d[ow] = 0.0f;
                    if (s == 1) {
#pragma omp simd
                        for (int ow = lo; ow < hi; ++ow)
                            d[ow] = src[ow + shift];
                    } else {
                        for (int ow = lo; ow < hi; ++ow)
                            d[ow] = src[ow * s + shift];
                    }
                    for (int ow = hi; ow < wo; ++ow)
                        d[ow] = 0.0f;
                }
            }
}

void nn_col2im_add(const nn_conv_geom *g, float *dcol, size_t ld, float *dx)
{
    if (is_same(g)) {
        col2im_same(g, dcol, ld, dx);
        return;
    }
    const int k = g->k, s = g->s, p = g->p, wo = g->wo;
    for (int ci = 0; ci < g->c; ++ci)
        for (int kh = 0; kh < k; ++kh)
            for (int kw = 0; kw < k; ++kw) {
                const float *src = dcol + ((size_t)(ci * k + kh) * k + kw) * ld;
                int lo, hi;
                valid_cols(g, kw, &lo, &hi);
                for (int oh = 0; oh < g->ho; ++oh) {
                    const int ih = oh * s - p + kh;
                    if (ih < 0 || ih >= g->h)
                        continue;
                    const float *sr = src + (size_t)oh * wo;
                    float *d = dx + ((size_t)ci * g->h + ih) * g->w; /* [w] */
                    const int shift = kw - p;
                    if (s == 1) {
#pragma omp simd
                        for (int ow = lo; ow < hi; ++ow)
                            d[ow + shift] += sr[ow];
                    } else {
                        for (int ow = lo; ow < hi; ++ow)
                            d[ow * s + shift] += sr[ow];
                    }
                }
            }
}
