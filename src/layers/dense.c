/* Fully connected layer with a fused activation:
 *     Z [B, out] = X [B, in] . W [in, out] + b [out]
 *     Y [B, out] = act(Z)
 * W is stored [in, out] (the homework's layout), so the forward product and
 * dW = X^T . dZ need no copies: BLIS reads X^T through swapped strides. */
#include <string.h>

#include "nn/core.h"
#include "nn/layer.h"

static int dense_setup(nn_layer *l, nn_error *err)
{
    const nn_layer_config *c = l->cfg;
    if (c->units < 1)
        return nn_fail(err, NN_E_CONFIG, "[%s] units must be >= 1", c->name);
    size_t in = l->in_dim, out = (size_t)c->units;
    l->out_shape = (nn_shape){ c->units, 1, 1 };
    uint64_t wdims[2] = { in, out }, bdims[1] = { out };
    nn_layer_add_param(l, "W", 2, wdims, c->init, 1, in, out);
    /* Biases start at zero whatever the weight init (as in the homework). */
    nn_layer_add_param(l, "b", 1, bdims, NN_INIT_ZEROS, 0, in, out);
    return NN_OK;
}

static void dense_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                          const nn_ctx *ctx)
{
    (void)ctx;
    const float *in = inputs[0]; /* [B, in] */
    const size_t n_in = l->in_dim, n_out = l->out_dim;
    const float *W = l->params[0].value; /* [in, out] */
    const float *b = l->params[1].value; /* [out] */
    /* Start from the bias in every row, then accumulate X.W on top (beta = 1):
     * one pass over Y instead of a separate bias pass. */
    for (int r = 0; r < B; ++r)
        memcpy(out + (size_t)r * n_out, b, n_out * sizeof(float));
    nn_gemm(1.0f, nn_mat_rm((float *)in, B, (long)n_in),
            nn_mat_rm((float *)W, (long)n_in, (long)n_out), 1.0f, nn_mat_rm(out, B, (long)n_out));
    nn_activation_forward(l->cfg->activation, out, (size_t)B, n_out);
}

static void dense_backward(nn_layer *l, const float *const *inputs, const float *out, float *dout,
                           float *const *dins, int B, const nn_ctx *ctx)
{
    (void)ctx;
    const float *in = inputs[0]; /* [B, in] */
    float *din = dins[0];        /* [B, in] or NULL */
    const size_t n_in = l->in_dim, n_out = l->out_dim;
    float *dZ = dout; /* [B, out], turned into dL/dZ in place */
    if (!l->dout_is_preact)
        nn_activation_backward(l->cfg->activation, out, dZ, (size_t)B, n_out);

    nn_param *W = &l->params[0], *b = &l->params[1];
    nn_mat x = nn_mat_rm((float *)in, B, (long)n_in);
    nn_mat dz = nn_mat_rm(dZ, B, (long)n_out);
    /* dW [in, out] = X^T [in, B] . dZ [B, out] */
    nn_gemm(1.0f, nn_mat_t(x), dz, 0.0f, nn_mat_rm(W->grad, (long)n_in, (long)n_out));
    /* db [out] = sum over the batch of dZ */
    memset(b->grad, 0, n_out * sizeof(float));
    for (int r = 0; r < B; ++r) {
        const float *row = dZ + (size_t)r * n_out;
        for (size_t j = 0; j < n_out; ++j)
            b->grad[j] += row[j];
    }
    /* dX [B, in] (+)= dZ [B, out] . W^T [out, in]; skipped for the first layer. */
    if (din)
        nn_gemm(1.0f, dz, nn_mat_t(nn_mat_rm(W->value, (long)n_in, (long)n_out)),
                l->din_add[0] ? 1.0f : 0.0f, nn_mat_rm(din, B, (long)n_in));
}

const nn_layer_ops nn_dense_ops = {
    .type = "dense",
    .doc = "Fully connected: `y = activation(W x + b)`, W is `units` x inputs (the input is "
           "flattened).",
    .min_inputs = 1,
    .max_inputs = 1,
    .has_params = 1,
    .has_activation = 1,
    .setup = dense_setup,
    .forward = dense_forward,
    .backward = dense_backward,
};
