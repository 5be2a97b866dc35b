/* Concatenation along channels: inputs [B, C_k, H, W] -> y [B, sum C_k, H, W].
 * In NCHW each sample's channels are one contiguous block, so sample b of
 * input k is a contiguous run of y's row b: copies forward, slices back. */
#include "layers/layers_internal.h"

static int concat_setup(nn_layer *l, nn_error *err)
{
    int c = 0;
    for (int k = 0; k < l->n_inputs; ++k) {
        if (nn_merge_check(l, k, 0, "concatenate", "height and width", err))
            return NN_E_CONFIG;
        c += l->in_shapes[k].c;
    }
    l->out_shape = (nn_shape){ c, l->in_shape.h, l->in_shape.w };
    return NN_OK;
}

static void concat_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                           const nn_ctx *ctx)
{
    (void)ctx;
    for (int b = 0; b < B; ++b) {
        float *y = out + (size_t)b * l->out_dim;
        for (int k = 0; k < l->n_inputs; ++k) {
            nn_grad_put(y, inputs[k] + (size_t)b * l->in_dims[k], l->in_dims[k], 0);
            y += l->in_dims[k];
        }
    }
}

static void concat_backward(nn_layer *l, const float *const *inputs, const float *out, float *dout,
                            float *const *dins, int B, const nn_ctx *ctx)
{
    (void)inputs, (void)out, (void)ctx;
    for (int k = 0, offset = 0; k < l->n_inputs; offset += (int)l->in_dims[k], ++k) {
        if (!dins[k])
            continue;
        for (int b = 0; b < B; ++b)
            nn_grad_put(dins[k] + (size_t)b * l->in_dims[k], dout + (size_t)b * l->out_dim + offset,
                        l->in_dims[k], l->din_add[k]);
    }
}

const nn_layer_ops nn_concat_ops = {
    .type = "concat",
    .doc = "Concatenation of two or more inputs along channels (a skip connection, "
           "Darknet's [route]): inputs C1 x H x W, C2 x H x W, ... -> (C1 + C2 + ...) x H "
           "x W. No keys besides `type` and `input`.",
    .min_inputs = 2,
    .max_inputs = NN_MAX_INPUTS,
    .setup = concat_setup,
    .forward = concat_forward,
    .backward = concat_backward,
};
