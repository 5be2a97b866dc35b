/* Helpers shared by the layer kinds (src/layers/); not a public API. */
#ifndef NN_LAYERS_INTERNAL_H
#define NN_LAYERS_INTERNAL_H

#include <stdio.h>
#include <string.h>

#include "nn/layer.h"

/* OpenMP pays off only on large arrays: below this many floats a parallel
 * region costs more than the loop. */
#define NN_OMP_MIN 65536

/* Positions of a window of side k, stride s, padding p over n inputs
 * (floor mode, as PyTorch): (n + 2p - k) / s + 1; 0 when it does not fit. */
static inline int nn_window_count(int n, int k, int s, int p)
{
    return n + 2 * p < k ? 0 : (n + 2 * p - k) / s + 1;
}

/* The name of input k of l as the config resolved it ("input" for the
 * network input), for messages. */
static inline void nn_layer_input_name(const nn_layer *l, int k, char *buf, size_t n)
{
    const char *p = l->cfg->input;
    for (int i = 0; i < k && p; ++i) {
        p = strchr(p, ',');
        p = p ? p + 2 : NULL; /* resolved lists are "a, b, c" */
    }
    if (!p || !*p) {
        snprintf(buf, n, "input");
        return;
    }
    size_t len = strcspn(p, ",");
    snprintf(buf, n, "%.*s", (int)len, p);
}

/* "C x H x W" */
static inline const char *nn_shape_text(nn_shape s, char *buf, size_t n)
{
    snprintf(buf, n, "%d x %d x %d", s.c, s.h, s.w);
    return buf;
}

/* dst [n] = src (add = 0) or dst += src (add = 1): how backward hands a
 * gradient to an input (see nn_layer_ops.backward). */
static inline void nn_grad_put(float *restrict dst, const float *restrict src, size_t n, int add)
{
    if (add) {
#pragma omp simd
        for (size_t i = 0; i < n; ++i)
            dst[i] += src[i];
    } else {
        memcpy(dst, src, n * sizeof(float));
    }
}

/* Shared setup of max and average pooling: stride 0 means the window side;
 * the window must fit and padding must be smaller than it (else a window
 * could lie entirely in the padding). Sets out_shape. */
int nn_pool_setup(nn_layer *l, nn_error *err);

/* The window geometry of a pooling layer (after nn_pool_setup). */
typedef struct nn_pool_geom {
    int h, w, k, s, p, ho, wo;
} nn_pool_geom;
nn_pool_geom nn_pool_geometry(const nn_layer *l);

/* The geometry of a convolution window over one image. */
typedef struct nn_conv_geom {
    int c, h, w;        /* input channels and size */
    int k, s, p;        /* kernel side, stride, padding */
    int ho, wo;         /* output size */
} nn_conv_geom;

/* col [c*k*k, ho*wo] = the input patches of x [c, h, w] (im2col): row
 * (ci, kh, kw) holds x[ci, oh*s - p + kh, ow*s - p + kw] for every output
 * position (oh, ow), 0 where that falls in the padding. Rows of col are ld
 * floats apart (ld >= ho*wo: several samples' columns side by side). */
void nn_im2col(const nn_conv_geom *g, const float *x, float *col, size_t ld);

/* The adjoint: dx [c, h, w] += the entries of dcol [c*k*k, ho*wo] (rows ld
 * apart) at the positions im2col read them from (padding entries are
 * dropped; dcol is scratch and may be overwritten). */
void nn_col2im_add(const nn_conv_geom *g, float *dcol, size_t ld, float *dx);

#endif
