/* im2col and its adjoint for 2-D convolutions: the patch matrix that turns a
 * convolution into one matrix product (W [filters, c*k*k] . col). Rows are
 * contiguous runs of an input row when the stride is 1, so the common case
 * is memcpy / a vectorised add with zero edges.
 *
 * im2col (x given: col = the patches of x) and its adjoint (dx given:
 * dx += col's entries at the positions im2col read them from) visit the
 * same places, so one walk over col's rows serves both, with a small kernel
 * for each direction. */
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
 * to the last. The adjoint drops col's entries at padding positions (they
 * are zeroed first: col is scratch then), then adds the same span back. */
static int is_same(const nn_conv_geom *g)
{
    return g->s == 1 && g->k == 2 * g->p + 1 && g->ho == g->h && g->wo == g->w;
}

static void same_rows(const nn_conv_geom *g, int kh, int *oh0, int *oh1)
{
    *oh0 = g->p - kh > 0 ? g->p - kh : 0;
    *oh1 = g->h + g->p - kh < g->h ? g->h + g->p - kh : g->h;
}

/* row [n] = plane shifted by off over [first, last), zero elsewhere. */
static void shifted_copy(float *restrict row, const float *restrict plane, long off, long first,
                         long last, long n)
{
    for (long o = 0; o < first; ++o)
        row[o] = 0.0f;
    for (long o = first; o < last; ++o)
        row[o] = plane[o + off];
    for (long o = last; o < n; ++o)
        row[o] = 0.0f;
}

/* The adjoint over [first, last): plane[o + off] += row[o]. */
static void shifted_add(float *restrict plane, const float *restrict row, long off, long first,
                        long last)
{
    for (long o = first; o < last; ++o)
        plane[o + off] += row[o];
}

/* Zero row's entries [0, lo) and [hi, w) of output rows [oh0, oh1): the
 * columns in the padding. */
static void zero_side_columns(float *row, int w, int oh0, int oh1, int lo, int hi)
{
    for (int oh = oh0; oh < oh1; ++oh) {
        for (int ow = 0; ow < lo; ++ow)
            row[(size_t)oh * w + ow] = 0.0f;
        for (int ow = hi; ow < w; ++ow)
            row[(size_t)oh * w + ow] = 0.0f;
    }
}

static void same_walk(const nn_conv_geom *g, const float *x, float *dx, float *col, size_t ld)
{
    const int k = g->k, p = g->p, w = g->w;
    const size_t n = (size_t)g->h * w;
    for (int ci = 0; ci < g->c; ++ci)
        for (int kh = 0; kh < k; ++kh)
            for (int kw = 0; kw < k; ++kw) {
                float *row = col + ((size_t)(ci * k + kh) * k + kw) * ld; /* [h, w] */
                int lo, hi, oh0, oh1;
                valid_cols(g, kw, &lo, &hi);
                same_rows(g, kh, &oh0, &oh1);
                if (oh0 >= oh1 || lo >= hi) { /* the whole row lies in the padding */
                    if (x)
                        memset(row, 0, n * sizeof(float));
                    continue;
                }
                const long off = (long)(kh - p) * w + (kw - p);
                const long first = (long)oh0 * w + lo, last = (long)(oh1 - 1) * w + hi;
                if (x) {
                    shifted_copy(row, x + (size_t)ci * n, off, first, last, (long)n);
                    zero_side_columns(row, w, oh0, oh1, lo, hi);
                } else {
                    zero_side_columns(row, w, oh0, oh1, lo, hi);
                    shifted_add(dx + (size_t)ci * n, row, off, first, last);
                }
            }
}

/* Plain loops, not memcpy/memset: rows are a few dozen floats, where call
 * overhead would dominate. c [wo] = xr [w] at ow * s + shift for ow in
 * [lo, hi), zero elsewhere. */
static void gather_row(float *restrict c, const float *restrict xr, int lo, int hi, int wo, int s,
                       int shift)
{
    for (int ow = 0; ow < lo; ++ow)
        c[ow] = 0.0f;
    if (s == 1) {
#pragma omp simd
        for (int ow = lo; ow < hi; ++ow)
            c[ow] = xr[ow + shift];
    } else {
        for (int ow = lo; ow < hi; ++ow)
            c[ow] = xr[ow * s + shift];
    }
    for (int ow = hi; ow < wo; ++ow)
        c[ow] = 0.0f;
}

/* The adjoint over [lo, hi): dxr[ow * s + shift] += c[ow]. */
static void scatter_row(float *restrict dxr, const float *restrict c, int lo, int hi, int s,
                        int shift)
{
    if (s == 1) {
#pragma omp simd
        for (int ow = lo; ow < hi; ++ow)
            dxr[ow + shift] += c[ow];
    } else {
        for (int ow = lo; ow < hi; ++ow)
            dxr[ow * s + shift] += c[ow];
    }
}

/* Any stride and padding, one output row at a time. */
static void general_walk(const nn_conv_geom *g, const float *x, float *dx, float *col, size_t ld)
{
    const int k = g->k, s = g->s, p = g->p, wo = g->wo;
    for (int ci = 0; ci < g->c; ++ci)
        for (int kh = 0; kh < k; ++kh)
            for (int kw = 0; kw < k; ++kw) {
                float *row = col + ((size_t)(ci * k + kh) * k + kw) * ld; /* [ho, wo] */
                int lo, hi;
                valid_cols(g, kw, &lo, &hi);
                for (int oh = 0; oh < g->ho; ++oh) {
                    float *c = row + (size_t)oh * wo;
                    const int ih = oh * s - p + kh;
                    if (ih < 0 || ih >= g->h) { /* in the padding */
                        if (x)
                            memset(c, 0, (size_t)wo * sizeof(float));
                        continue;
                    }
                    const size_t at = ((size_t)ci * g->h + ih) * g->w; /* input row [w] */
                    if (x)
                        gather_row(c, x + at, lo, hi, wo, s, kw - p);
                    else
                        scatter_row(dx + at, c, lo, hi, s, kw - p);
                }
            }
}

void nn_im2col(const nn_conv_geom *g, const float *x, float *col, size_t ld)
{
    if (is_same(g))
        same_walk(g, x, NULL, col, ld);
    else
        general_walk(g, x, NULL, col, ld);
}

void nn_col2im_add(const nn_conv_geom *g, float *dcol, size_t ld, float *dx)
{
    if (is_same(g))
        same_walk(g, NULL, dx, dcol, ld);
    else
        general_walk(g, NULL, dx, dcol, ld);
}
