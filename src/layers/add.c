/* Element-wise sum of two or more inputs of one shape, then an activation:
 * a residual connection y = act(x0 + x1 + ...). Backward hands dL/d(sum) to
 * every input. */
#include "layers/layers_internal.h"

static int add_setup(nn_layer *l, nn_error *err)
{
    for (int k = 1; k < l->n_inputs; ++k)
        if (nn_merge_check(l, k, 1, "add", "shape", err))
            return NN_E_CONFIG;
    l->out_shape = l->in_shape;
    return NN_OK;
}

static void add_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                        const nn_ctx *ctx)
{
    (void)ctx;
    const size_t n = (size_t)B * l->out_dim;
    nn_grad_put(out, inputs[0], n, 0);
    for (int k = 1; k < l->n_inputs; ++k)
        nn_grad_put(out, inputs[k], n, 1);
    nn_activation_forward(l->cfg->activation, out, (size_t)B, l->out_dim);
}

static void add_backward(nn_layer *l, const float *const *inputs, const float *out, float *dout,
                         float *const *dins, int B, const nn_ctx *ctx)
{
    (void)inputs, (void)ctx;
    if (!l->dout_is_preact)
        nn_activation_backward(l->cfg->activation, out, dout, (size_t)B, l->out_dim);
    for (int k = 0; k < l->n_inputs; ++k)
        if (dins[k])
            nn_grad_put(dins[k], dout, (size_t)B * l->out_dim, l->din_add[k]);
}

const nn_layer_ops nn_add_ops = {
    .type = "add",
    .doc = "Element-wise sum of two or more inputs of the same shape (a residual "
           "connection, Darknet's [shortcut]): `input = a, b`.",
    .min_inputs = 2,
    .max_inputs = NN_MAX_INPUTS,
    .has_activation = 1,
    .setup = add_setup,
    .forward = add_forward,
    .backward = add_backward,
};
