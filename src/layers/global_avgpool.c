/* Global average pooling with a fused activation:
 *     y [B, C, 1, 1],  y[b,c] = act(mean of x[b,c] [H, W])
 * (softmax over the C means: a classifier that ends in a convolution, as
 * SqueezeNet's, needs no dense layer). */
#include "layers/layers_internal.h"

static int gap_setup(nn_layer *l, nn_error *err)
{
    (void)err;
    l->out_shape = (nn_shape){ l->in_shape.c, 1, 1 };
    return NN_OK;
}

static void gap_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                        const nn_ctx *ctx)
{
    (void)ctx;
    const float *x = inputs[0];
    const size_t planes = (size_t)B * l->in_shape.c, n = (size_t)l->in_shape.h * l->in_shape.w;
    const float scale = 1.0f / (float)n;
    for (size_t q = 0; q < planes; ++q) {
        const float *xp = x + q * n;
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (size_t i = 0; i < n; ++i)
            s += xp[i];
        out[q] = s * scale;
    }
    nn_activation_forward(l->cfg->activation, out, (size_t)B, l->out_dim);
}

static void gap_backward(nn_layer *l, const float *const *inputs, const float *out, float *dout,
                         float *const *dins, int B, const nn_ctx *ctx)
{
    (void)inputs, (void)ctx;
    float *dx = dins[0];
    if (!dx)
        return;
    if (!l->dout_is_preact)
        nn_activation_backward(l->cfg->activation, out, dout, (size_t)B, l->out_dim);
    const size_t planes = (size_t)B * l->in_shape.c, n = (size_t)l->in_shape.h * l->in_shape.w;
    const float scale = 1.0f / (float)n;
    const int add = l->din_add[0];
    for (size_t q = 0; q < planes; ++q) {
        const float d = dout[q] * scale;
        float *dxp = dx + q * n;
        for (size_t i = 0; i < n; ++i)
            dxp[i] = add ? dxp[i] + d : d;
    }
}

const nn_layer_ops nn_global_avgpool_ops = {
    .type = "global_avgpool",
    .doc = "Mean of each channel over all positions: C x H x W -> C x 1 x 1, then "
           "`activation`.",
    .min_inputs = 1,
    .max_inputs = 1,
    .has_activation = 1,
    .setup = gap_setup,
    .forward = gap_forward,
    .backward = gap_backward,
};
