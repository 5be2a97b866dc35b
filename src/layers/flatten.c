/* Flatten: C x H x W -> (C H W) x 1 x 1. Activations are NCHW rows already,
 * so the values do not move; the copy keeps every layer's output its own. */
#include "layers/layers_internal.h"

static int flatten_setup(nn_layer *l, nn_error *err)
{
    (void)err;
    l->out_shape = (nn_shape){ (int)l->in_dim, 1, 1 };
    return NN_OK;
}

static void flatten_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                            const nn_ctx *ctx)
{
    (void)ctx;
    nn_grad_put(out, inputs[0], (size_t)B * l->in_dim, 0);
}

static void flatten_backward(nn_layer *l, const float *const *inputs, const float *out,
                             float *dout, float *const *dins, int B, const nn_ctx *ctx)
{
    (void)inputs, (void)out, (void)ctx;
    if (dins[0])
        nn_grad_put(dins[0], dout, (size_t)B * l->in_dim, l->din_add[0]);
}

const nn_layer_ops nn_flatten_ops = {
    .type = "flatten",
    .doc = "C x H x W -> (C H W) x 1 x 1, in NCHW order (as PyTorch's Flatten). No keys "
           "besides `type` and `input`.",
    .min_inputs = 1,
    .max_inputs = 1,
    .setup = flatten_setup,
    .forward = flatten_forward,
    .backward = flatten_backward,
};
