/* Average pooling over size x size windows of each channel plane:
 *     y [B, C, Ho, Wo],  y[b,c,i,j] = (1 / n_ij) * sum over the window of x
 * Padding counts as zeros in the average (PyTorch's count_include_pad), so
 * n_ij = size^2, except for the last windows of ceil mode, which may stick
 * out of the padded input: they count only the part inside it (as PyTorch). */
#include <string.h>

#include "layers/layers_internal.h"

/* 1 / the cells of window (i, j) inside the padded input. */
static float window_scale(const nn_pool_geom *g, int i, int j)
{
    const int r = i * g->s - g->p, c = j * g->s - g->p;
    const int r1 = r + g->k < g->h + g->p ? r + g->k : g->h + g->p;
    const int c1 = c + g->k < g->w + g->p ? c + g->k : g->w + g->p;
    return 1.0f / (float)((r1 - r) * (c1 - c));
}

/* y [ho, wo] = window means of x [h, w]. */
static void average_plane(const nn_pool_geom *g, const float *x, float *y)
{
    for (int i = 0; i < g->ho; ++i)
        for (int j = 0; j < g->wo; ++j) {
            int r0, r1, c0, c1;
            nn_pool_window(g, i, j, &r0, &r1, &c0, &c1);
            float s = 0.0f;
            for (int r = r0; r < r1; ++r)
                for (int c = c0; c < c1; ++c)
                    s += x[r * g->w + c];
            y[i * g->wo + j] = s * window_scale(g, i, j);
        }
}

/* dx [h, w] (+)= each output's share dy / n_ij over its window. */
static void spread_plane(const nn_pool_geom *g, const float *dy, float *dx, int add)
{
    if (!add)
        memset(dx, 0, g->in_plane * sizeof(float));
    for (int i = 0; i < g->ho; ++i)
        for (int j = 0; j < g->wo; ++j) {
            int r0, r1, c0, c1;
            nn_pool_window(g, i, j, &r0, &r1, &c0, &c1);
            const float d = dy[i * g->wo + j] * window_scale(g, i, j);
            for (int r = r0; r < r1; ++r)
                for (int c = c0; c < c1; ++c)
                    dx[r * g->w + c] += d;
        }
}

static void average_planes(const nn_layer *l, const nn_pool_geom *g, size_t q0, size_t n,
                           const float *x, float *y, float *scratch)
{
    (void)l, (void)q0, (void)scratch;
    for (size_t q = 0; q < n; ++q)
        average_plane(g, x + q * g->in_plane, y + q * g->out_plane);
}

static void spread_planes(const nn_layer *l, const nn_pool_geom *g, size_t q0, size_t n,
                          const float *dy, float *dx)
{
    (void)q0;
    for (size_t q = 0; q < n; ++q)
        spread_plane(g, dy + q * g->out_plane, dx + q * g->in_plane, l->din_add[0]);
}

static void avgpool_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                            const nn_ctx *ctx)
{
    (void)ctx;
    nn_pool_forward(l, inputs[0], out, B, average_planes, 0);
}

static void avgpool_backward(nn_layer *l, const float *const *inputs, const float *out, float *dout,
                             float *const *dins, int B, const nn_ctx *ctx)
{
    (void)inputs, (void)out, (void)ctx;
    nn_pool_backward(l, dout, dins, B, spread_planes);
}

const nn_layer_ops nn_avgpool_ops = {
    .type = "avgpool",
    .doc = "Mean over `size` x `size` windows of each channel, padding counted as zeros. "
           "`ceil_mode` rounds the output side up as for `maxpool`; a last window that "
           "sticks out of the padded input averages over the part inside it (as PyTorch).",
    .min_inputs = 1,
    .max_inputs = 1,
    .setup = nn_pool_setup,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
};
