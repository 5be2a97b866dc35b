/* Max pooling over size x size windows of each channel plane:
 *     y [B, C, Ho, Wo],  y[b,c,i,j] = max over the window of x [B, C, H, W]
 * Padding never wins (windows are clipped to the image, also the last ones
 * of ceil mode, which may stick out of the padded input). Forward records
 * where each maximum came from in aux [max_batch, C, Ho, Wo] as an index
 * into the input plane (ties go to the leftmost column, then the top row);
 * backward scatters each output's gradient there. The 2 x 2, stride 2 case
 * runs in two vectorisable passes (see max2x2). */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "layers/layers_internal.h"

static int maxpool_setup(nn_layer *l, nn_error *err)
{
    int rc = nn_pool_setup(l, err);
    l->aux_size = (size_t)l->max_batch * nn_shape_dim(l->out_shape); /* int32 argmax */
    /* max2x2's per-thread scratch: column maxima and their indices [Ho, 2 Wo] */
    l->ws_size = (size_t)l->threads * 4 * l->out_shape.h * l->out_shape.w;
    return rc;
}

/* 2 x 2 windows at stride 2 in two passes, because output rows are short
 * (7 or 14 values in a small CNN) and a loop over one row barely vectorises:
 *   vertical:   v[i][c] = max(x[2i][c], x[2i+1][c]) for c < 2 Wo, and where
 *               it came from (the top row on a tie);
 *   horizontal: y[q] = max(v[2q], v[2q+1]) over the plane's Ho Wo outputs
 *               at once (v's rows hold 2 Wo values, so output q = i Wo + j
 *               reads v at 2q and 2q + 1): one long loop.
 * The comparisons produce 0/1 values used arithmetically (no conditional
 * int choice), which GCC vectorises. v, vi: scratch [Ho, 2 Wo]. */
static inline __attribute__((always_inline)) void
max2x2_columns(const float *restrict x0, const float *restrict x1, float *restrict v,
               int32_t *restrict vi, int n, int32_t base, int32_t w)
{
    for (int c = 0; c < n; ++c) {
        const int32_t lower = x1[c] > x0[c];
        v[c] = x1[c] > x0[c] ? x1[c] : x0[c];
        vi[c] = base + c + lower * w;
    }
}

static inline __attribute__((always_inline)) void max2x2_pairs(const float *restrict v,
                                                               const int32_t *restrict vi,
                                                               float *restrict y,
                                                               int32_t *restrict at, int n)
{
    for (int q = 0; q < n; ++q) {
        const int32_t right = v[2 * q + 1] > v[2 * q];
        y[q] = v[2 * q + 1] > v[2 * q] ? v[2 * q + 1] : v[2 * q];
        at[q] = right * vi[2 * q + 1] + (1 - right) * vi[2 * q];
    }
}

/* One plane with ho output rows of wo: inlined into copies where they are
 * constants (below), whose loops of known length compile to straight
 * vector code: each loop's set-up and scalar remainder otherwise cost
 * about as much as its work on rows of 7 or 14 outputs. Measured on the
 * bench CNN's two pools (batch 64, 1 thread, AMD EPYC 'skx', thread CPU
 * time, `build/nn_layer_cputime CNN.ini 40 train.fuse_layers=false`, 3
 * runs alternating with the previous build): forward 0.42-0.44 ->
 * 0.21-0.22 ms (28 x 28 planes) and 0.42-0.44 -> 0.24-0.25 ms (14 x 14).
 * The same for the input gradient (stores selected by comparisons instead
 * of zeroing and scattering) was not vectorised by GCC 12 and ran 6x
 * slower, so backward keeps the scatter. */
static inline __attribute__((always_inline)) void
max2x2_plane(const float *x, float *y, int32_t *at, int ho, int wo, int w, float *scratch)
{
    float *v = scratch;                                       /* [ho, 2 wo] */
    int32_t *vi = (int32_t *)(void *)(scratch + 2 * ho * wo); /* [ho, 2 wo] */
    for (int i = 0; i < ho; ++i) {
        const float *r0 = x + (size_t)(2 * i) * w;
        max2x2_columns(r0, r0 + w, v + 2 * i * wo, vi + 2 * i * wo, 2 * wo, 2 * i * w, w);
    }
    max2x2_pairs(v, vi, y, at, ho * wo);
}

static void max2x2(const float *x, float *y, int32_t *at, const nn_pool_geom *g, float *scratch)
{
    /* the square planes of the CNNs here (28, 14 and 7 of the MNIST-sized
     * ones, 56 of Flowers17's) get their own copies */
    if (g->ho == g->wo && 2 * g->wo == g->w)
        switch (g->wo) {
        case 7: max2x2_plane(x, y, at, 7, 7, 14, scratch); return;
        case 14: max2x2_plane(x, y, at, 14, 14, 28, scratch); return;
        case 28: max2x2_plane(x, y, at, 28, 28, 56, scratch); return;
        case 56: max2x2_plane(x, y, at, 56, 56, 112, scratch); return;
        default: break;
        }
    max2x2_plane(x, y, at, g->ho, g->wo, g->w, scratch);
}

static void max_general(const float *x, float *y, int32_t *at, const nn_pool_geom *g)
{
    for (int i = 0; i < g->ho; ++i)
        for (int j = 0; j < g->wo; ++j) {
            int r0, r1, c0, c1;
            nn_pool_window(g, i, j, &r0, &r1, &c0, &c1);
            float m = -FLT_MAX;
            int32_t where = r0 * g->w + c0;
            for (int c = c0; c < c1; ++c) /* column by column: ties go left, then up */
                for (int r = r0; r < r1; ++r)
                    if (x[r * g->w + c] > m) {
                        m = x[r * g->w + c];
                        where = r * g->w + c;
                    }
            y[i * g->wo + j] = m;
            at[i * g->wo + j] = where;
        }
}

int32_t *nn_maxpool_argmax(const nn_layer *l, size_t q)
{
    return (int32_t *)(void *)l->aux + q * (size_t)l->out_shape.h * l->out_shape.w;
}

int nn_maxpool_is_2x2(const nn_pool_geom *g)
{
    /* (in ceil mode the last window may stick out: only full windows here) */
    return g->k == 2 && g->s == 2 && g->p == 0 && 2 * g->ho <= g->h && 2 * g->wo <= g->w;
}

void nn_maxpool_plane(const nn_pool_geom *g, const float *x, float *y, int32_t *at, float *scratch)
{
    if (nn_maxpool_is_2x2(g))
        max2x2(x, y, at, g, scratch);
    else
        max_general(x, y, at, g);
}

/* y [n, ho, wo] = window maxima of x [n, h, w], their positions into aux. */
static void max_planes(const nn_layer *l, const nn_pool_geom *g, size_t q0, size_t n,
                       const float *x, float *y, float *scratch)
{
    for (size_t q = 0; q < n; ++q)
        nn_maxpool_plane(g, x + q * g->in_plane, y + q * g->out_plane, nn_maxpool_argmax(l, q0 + q),
                         scratch);
}

void nn_maxpool_route_plane(const nn_pool_geom *g, const float *dy, const int32_t *at, float *dx,
                            int add)
{
    if (!add)
        memset(dx, 0, g->in_plane * sizeof(float));
    for (size_t o = 0; o < g->out_plane; ++o)
        dx[at[o]] += dy[o];
}

/* dx [n, h, w] (+)= each output's gradient at its maximum. */
static void route_planes(const nn_layer *l, const nn_pool_geom *g, size_t q0, size_t n,
                         const float *dy, float *dx)
{
    for (size_t q = 0; q < n; ++q)
        nn_maxpool_route_plane(g, dy + q * g->out_plane, nn_maxpool_argmax(l, q0 + q),
                               dx + q * g->in_plane, l->din_add[0]);
}

static void maxpool_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                            const nn_ctx *ctx)
{
    (void)ctx;
    const nn_pool_geom g = nn_pool_geometry(l);
    nn_pool_forward(l, inputs[0], out, B, max_planes, 4 * g.out_plane);
}

static void maxpool_backward(nn_layer *l, const float *const *inputs, const float *out, float *dout,
                             float *const *dins, int B, const nn_ctx *ctx)
{
    (void)inputs, (void)out, (void)ctx;
    nn_pool_backward(l, dout, dins, B, route_planes);
}

const nn_layer_ops nn_maxpool_ops = {
    .type = "maxpool",
    .doc = "Maximum over `size` x `size` windows of each channel. Output side "
           "`floor((H + 2 padding - size) / stride) + 1`, or with `ceil_mode` rounded up "
           "(PyTorch's `ceil_mode=True`): a last window that sticks out of the padded "
           "input is kept, clipped, when it starts inside the input or its left padding.",
    .min_inputs = 1,
    .max_inputs = 1,
    .setup = maxpool_setup,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
};
