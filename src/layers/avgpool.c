/* Average pooling over size x size windows of each channel plane:
 *     y [B, C, Ho, Wo],  y[b,c,i,j] = (1 / size^2) * sum over the window of x
 * Padding counts as zeros in the average (PyTorch's count_include_pad). */
#include <string.h>

#include "layers/layers_internal.h"

static int avgpool_setup(nn_layer *l, nn_error *err) { return nn_pool_setup(l, err); }

static void clip(int start, int k, int n, int *a, int *b)
{
    *a = start < 0 ? 0 : start;
    *b = start + k > n ? n : start + k;
}

static void avgpool_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                            const nn_ctx *ctx)
{
    (void)ctx;
    const nn_pool_geom g = nn_pool_geometry(l);
    const float *x = inputs[0];
    const size_t planes = (size_t)B * l->in_shape.c, in_plane = (size_t)g.h * g.w;
    const size_t out_plane = (size_t)g.ho * g.wo;
    const float scale = 1.0f / (float)(g.k * g.k);
#pragma omp parallel for num_threads(l->threads) if (planes * in_plane > NN_OMP_MIN) schedule(static)
    for (size_t q = 0; q < planes; ++q) {
        const float *xp = x + q * in_plane;
        for (int i = 0; i < g.ho; ++i)
            for (int j = 0; j < g.wo; ++j) {
                int r0, r1, c0, c1;
                clip(i * g.s - g.p, g.k, g.h, &r0, &r1);
                clip(j * g.s - g.p, g.k, g.w, &c0, &c1);
                float s = 0.0f;
                for (int r = r0; r < r1; ++r)
                    for (int c = c0; c < c1; ++c)
                        s += xp[r * g.w + c];
                out[q * out_plane + (size_t)i * g.wo + j] = s * scale;
            }
    }
}

static void avgpool_backward(nn_layer *l, const float *const *inputs, const float *out,
                             float *dout, float *const *dins, int B, const nn_ctx *ctx)
{
    (void)inputs, (void)out, (void)ctx;
    float *dx = dins[0];
    if (!dx)
        return;
    const nn_pool_geom g = nn_pool_geometry(l);
    const size_t planes = (size_t)B * l->in_shape.c, in_plane = (size_t)g.h * g.w;
    const size_t out_plane = (size_t)g.ho * g.wo;
    const float scale = 1.0f / (float)(g.k * g.k);
    const int add = l->din_add[0];
#pragma omp parallel for num_threads(l->threads) if (planes * in_plane > NN_OMP_MIN) schedule(static)
    for (size_t q = 0; q < planes; ++q) {
        float *dxp = dx + q * in_plane;
        if (!add)
            memset(dxp, 0, in_plane * sizeof(float));
        for (int i = 0; i < g.ho; ++i)
            for (int j = 0; j < g.wo; ++j) {
                int r0, r1, c0, c1;
                clip(i * g.s - g.p, g.k, g.h, &r0, &r1);
                clip(j * g.s - g.p, g.k, g.w, &c0, &c1);
                const float d = dout[q * out_plane + (size_t)i * g.wo + j] * scale;
                for (int r = r0; r < r1; ++r)
                    for (int c = c0; c < c1; ++c)
                        dxp[r * g.w + c] += d;
            }
    }
}

const nn_layer_ops nn_avgpool_ops = {
    .type = "avgpool",
    .doc = "Mean over `size` x `size` windows of each channel.",
    .min_inputs = 1,
    .max_inputs = 1,
    .setup = avgpool_setup,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
};
