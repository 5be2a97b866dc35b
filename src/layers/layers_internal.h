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

/* The same in ceil mode (PyTorch's pooling ceil_mode = True): one more
 * window when the last would only partly cover the padded input, as long
 * as it starts inside the input or its left padding: (o - 1) s < n + p.
 * Such a window is clipped at the edge. */
static inline int nn_window_count_ceil(int n, int k, int s, int p)
{
    if (n + 2 * p < k)
        return 0;
    int o = (n + 2 * p - k + s - 1) / s + 1;
    if ((o - 1) * s >= n + p)
        o--;
    return o;
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

/* For layers that merge their inputs (add, concat): NN_OK when input k has
 * the shape of input 0, in all three sizes (whole = 1) or in height and
 * width; else NN_E_CONFIG naming both inputs, e.g. "[sum] cannot add [a]
 * (8 x 14 x 14) and [b] (4 x 14 x 14): add needs inputs of one shape". */
static inline int nn_merge_check(const nn_layer *l, int k, int whole, const char *verb,
                                 const char *what, nn_error *err)
{
    const nn_shape a = l->in_shapes[0], b = l->in_shapes[k];
    if (a.h == b.h && a.w == b.w && (!whole || a.c == b.c))
        return NN_OK;
    char na[NN_NAME_LEN], nb[NN_NAME_LEN], ta[64], tb[64];
    nn_layer_input_name(l, 0, na, sizeof na);
    nn_layer_input_name(l, k, nb, sizeof nb);
    return nn_fail(err, NN_E_CONFIG,
                   "[%s] cannot %s [%s] (%s) and [%s] (%s): %s needs inputs of "
                   "one %s",
                   l->cfg->name, verb, na, nn_shape_text(a, ta, sizeof ta), nb,
                   nn_shape_text(b, tb, sizeof tb), l->ops->type, what);
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
 * could lie entirely in the padding). Sets out_shape, rounding the window
 * count down, or up with ceil_mode (nn_window_count_ceil). */
int nn_pool_setup(nn_layer *l, nn_error *err);

/* The window geometry of a pooling layer (after nn_pool_setup). */
typedef struct nn_pool_geom {
    int h, w, k, s, p, ho, wo;
    size_t in_plane, out_plane; /* h w and ho wo: one channel plane */
} nn_pool_geom;
nn_pool_geom nn_pool_geometry(const nn_layer *l);

/* Rows [*r0, *r1) and columns [*c0, *c1) of the input under window (i, j),
 * clipped to the image (padding never takes part). Inline: it runs once
 * per output value. */
static inline void nn_pool_window(const nn_pool_geom *g, int i, int j, int *r0, int *r1, int *c0,
                                  int *c1)
{
    const int r = i * g->s - g->p, c = j * g->s - g->p;
    *r0 = r < 0 ? 0 : r;
    *r1 = r + g->k > g->h ? g->h : r + g->k;
    *c0 = c < 0 ? 0 : c;
    *c1 = c + g->k > g->w ? g->w : c + g->k;
}

/* What a pooling layer does to n channel planes of the batch, planes
 * q0 .. q0 + n - 1 (plane q = b C + c): forward from x [n, h, w] into
 * y [n, ho, wo] with scratch (this thread's share of l->ws), or backward
 * from dy [n, ho, wo] into dx [n, h, w], stored or added as l->din_add[0]
 * says (plane by plane: zeroing all first would push them out of cache). */
typedef void nn_pool_planes_fwd(const nn_layer *l, const nn_pool_geom *g, size_t q0, size_t n,
                                const float *x, float *y, float *scratch);
typedef void nn_pool_planes_bwd(const nn_layer *l, const nn_pool_geom *g, size_t q0, size_t n,
                                const float *dy, float *dx);

/* Forward and backward of a pooling layer over the B C planes of a batch,
 * in contiguous shares for the layer's threads when the batch is large.
 * Forward gives thread t the scratch l->ws + t * scratch_floats. Backward
 * does nothing without dins[0]. */
void nn_pool_forward(nn_layer *l, const float *x, float *y, int B, nn_pool_planes_fwd *planes,
                     size_t scratch_floats);
void nn_pool_backward(nn_layer *l, const float *dout, float *const *dins, int B,
                      nn_pool_planes_bwd *planes);

/* Max pooling of one channel plane (maxpool.c), for the layer itself and
 * for a convolution that absorbs it (conv_pool.c): y [ho, wo] = the window
 * maxima of x [h, w], at [ho, wo] = where each came from in x (ties: the
 * leftmost column, then the top row); scratch: 4 ho wo floats. Backward:
 * dx [h, w] = (add: +=) each dy [ho, wo] at its maximum, zero elsewhere. */
void nn_maxpool_plane(const nn_pool_geom *g, const float *x, float *y, int32_t *at, float *scratch);
void nn_maxpool_route_plane(const nn_pool_geom *g, const float *dy, const int32_t *at, float *dx,
                            int add);
/* Whether the windows are 2 x 2 at stride 2 without padding, all inside the
 * input (the case max2x2 and Winograd's output tiles pool directly). */
int nn_maxpool_is_2x2(const nn_pool_geom *g);
/* Where the maxima of plane q (= b C + c) of a max-pool layer came from:
 * its aux [max_batch, C, ho, wo] as int32. */
int32_t *nn_maxpool_argmax(const nn_layer *l, size_t q);

/* The geometry of a convolution window over one image. */
typedef struct nn_conv_geom {
    int c, h, w; /* input channels and size */
    int k, s, p; /* kernel side, stride, padding */
    int ho, wo;  /* output size */
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

/* Direct convolution of one sample for a short patch matrix (K = C k^2 <=
 * NN_CONV_SMALL_K), bias and activation fused (conv_small.c):
 * y [F, HW] = act(W [F, K] . col [K, HW] + bias [F]); bias may be NULL. */
enum { NN_CONV_SMALL_K = 16 };
void nn_conv_small_forward(const float *W, const float *bias, const float *col, long K, long HW,
                           long F, nn_activation act, float *y);

/* Its backward: dy [F, HW] becomes dZ = act'(y) dy (unchanged when
 * dy_is_preact), then dw [F, K] += dZ . col^T and db [F] += row sums of dZ. */
void nn_conv_small_backward(const float *y, float *dy, const float *col, long K, long HW, long F,
                            nn_activation act, int dy_is_preact, float *dw, float *db);

/* A convolution absorbing the max-pool its output feeds (conv_pool.c):
 * whether it can (winograd: its output comes from Winograd's tiles); the
 * pool's planes of sample b, filter f from the activated output plane z
 * [ho, wo] (scratch: 4 ho wo floats); and dL/dZ [F, HW] of sample b from
 * the pool's gradient, its planes plane_stride floats apart. */
int nn_conv_pool_fusable(const nn_layer *conv, const nn_layer *pool, int winograd);
void nn_conv_pool_plane(const nn_layer *conv, const float *z, int b, int f, float *scratch);
void nn_conv_pool_grad(const nn_layer *conv, int b, float *dz, size_t plane_stride);

/* The convolution's products (or direct kernels) that ran on this thread
 * since t0 (omp_get_wtime), with their flops, into l's profile when
 * profiling (conv.c). */
void nn_conv_count_products(nn_layer *l, double t0, double flops);

/* Winograd F(2x2, 3x3) for 3x3 kernels at stride 1 (conv_winograd.c): a
 * convolution of cin-channel h x w maps with padding p (0, 1 or 2) into
 * cout-channel ho x wo maps, ho = h + 2p - 2, in th x tw tiles of 2 x 2. */
typedef struct nn_wino_geom {
    int cin, cout, h, w, p, ho, wo, th, tw;
} nn_wino_geom;
nn_wino_geom nn_wino_geometry(int cin, int cout, int h, int w, int p);
/* Tiles of one sample as nn_wino_conv lays them out (th (tw + 1)). */
size_t nn_wino_tiles(const nn_wino_geom *g);
/* Scratch floats of nn_wino_conv for n samples at a time. */
size_t nn_wino_ws_floats(const nn_wino_geom *g, int n);
/* The transformed filters U [16][F][C] of W [F][C][3][3]; flip = 1: U
 * [16][C][F] of W rotated by 180 degrees with the channels swapped (the
 * filters of the input gradient). */
void nn_wino_filters(const float *W, int F, int C, int flip, float *U);
/* What happens to each output value v of filter f: forward, y = act(v +
 * bias[f]) (bias may be NULL); add = 1: y += v (activation and bias unused).
 * pool_y set (forward, act relu or linear): each 2 x 2 output tile is
 * max-pooled instead of stored, the maximum into pool_y [cout, ho / 2,
 * wo / 2] and where it came from into pool_at (the maxpool layer's aux,
 * same shape), samples pool_stride apart; y is then unused. */
typedef struct nn_wino_out {
    const float *bias;
    nn_activation act;
    int add;
    float *pool_y;
    int32_t *pool_at;
    size_t pool_stride;
} nn_wino_out;
/* y_i [cout, ho, wo] (samples y_stride apart) from x_i [cin, h, w] (x_stride
 * apart), i < n, on this thread, with U from nn_wino_filters and ws of
 * nn_wino_ws_floats(g, n) floats. Counts its products in l's profile. */
void nn_wino_conv(nn_layer *l, const nn_wino_geom *g, const float *U, const float *x,
                  size_t x_stride, int n, float *ws, const nn_wino_out *o, float *y,
                  size_t y_stride);
/* The weight gradient's transformed sums dU [16][cout][cin] (=, first = 1,
 * or +=) of n samples x_i [cin, h, w] and their dL/dZ dy_i [cout, ho, wo],
 * on this thread, with ws of nn_wino_ws_floats(g, n) floats; then dW^T
 * [cin 9, cout] (conv.c's transposed accumulator) = G^T dU G. */
void nn_wino_dw(nn_layer *l, const nn_wino_geom *g, const float *x, size_t x_stride,
                const float *dy, size_t dy_stride, int n, float *ws, float *dU, int first);
void nn_wino_dw_filters(const float *dU, int F, int C, float *dWt);

#endif
