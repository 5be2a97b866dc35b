/* Average pooling over size x size windows of each channel plane:
 *     y [B, C, Ho, Wo],  y[b,c,i,j] = (1 / size^2) * sum over the window of x
 * Padding counts as zeros in the average (PyTorch's count_include_pad). */
#include <string.h>

#include "layers/layers_internal.h"

/* y [ho, wo] = window means of x [h, w]. */
static void average_plane(const nn_pool_geom *g, const float *x, float *y)
{
    const float scale = 1.0f / (float)(g->k * g->k);
    for (int i = 0; i < g->ho; ++i)
        for (int j = 0; j < g->wo; ++j) {
            int r0, r1, c0, c1;
            nn_pool_window(g, i, j, &r0, &r1, &c0, &c1);
            float s = 0.0f;
            for (int r = r0; r < r1; ++r)
                for (int c = c0; c < c1; ++c)
                    s += x[r * g->w + c];
            y[i * g->wo + j] = s * scale;
        }
}

/* dx [h, w] (+)= each output's share dy / size^2 over its window. */
static void spread_plane(const nn_pool_geom *g, const float *dy, float *dx, int add)
{
    const float scale = 1.0f / (float)(g->k * g->k);
    if (!add)
        memset(dx, 0, g->in_plane * sizeof(float));
    for (int i = 0; i < g->ho; ++i)
        for (int j = 0; j < g->wo; ++j) {
            int r0, r1, c0, c1;
            nn_pool_window(g, i, j, &r0, &r1, &c0, &c1);
            const float d = dy[i * g->wo + j] * scale;
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
    .doc = "Mean over `size` x `size` windows of each channel.",
    .min_inputs = 1,
    .max_inputs = 1,
    .setup = nn_pool_setup,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
};
