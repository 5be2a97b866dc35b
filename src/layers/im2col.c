/* im2col and its adjoint for 2-D convolutions: the patch matrix that turns a
 * convolution into one matrix product (W [filters, c*k*k] . col). Rows are
 * contiguous runs of an input row when the stride is 1, so the common case
 * is memcpy / a vectorised add with zero edges. */
#include <string.h>

#include "layers_internal.h"

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

void nn_im2col(const nn_conv_geom *g, const float *x, float *col)
{
    const int k = g->k, s = g->s, p = g->p, wo = g->wo;
    const size_t n = (size_t)g->ho * wo;
    for (int ci = 0; ci < g->c; ++ci)
        for (int kh = 0; kh < k; ++kh)
            for (int kw = 0; kw < k; ++kw) {
                float *dst = col + ((size_t)(ci * k + kh) * k + kw) * n; /* [ho, wo] */
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
                    memset(d, 0, (size_t)lo * sizeof(float));
                    if (s == 1)
                        memcpy(d + lo, src + lo - p + kw, (size_t)(hi - lo) * sizeof(float));
                    else
                        for (int ow = lo; ow < hi; ++ow)
                            d[ow] = src[ow * s - p + kw];
                    memset(d + hi, 0, (size_t)(wo - hi) * sizeof(float));
                }
            }
}

void nn_col2im_add(const nn_conv_geom *g, const float *dcol, float *dx)
{
    const int k = g->k, s = g->s, p = g->p, wo = g->wo;
    const size_t n = (size_t)g->ho * wo;
    for (int ci = 0; ci < g->c; ++ci)
        for (int kh = 0; kh < k; ++kh)
            for (int kw = 0; kw < k; ++kw) {
                const float *src = dcol + ((size_t)(ci * k + kh) * k + kw) * n;
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
