/* Inverted dropout: in training, y = x * keep / (1 - rate) with keep = 0 for
 * a fraction `rate` of the values; in evaluation y = x. Whether value j of a
 * sample is kept is a pure function of (seed, layer name, epoch, global
 * sample index, j): the same on any rank and for any rank count, and
 * recomputed in backward instead of stored. */
#include <stdio.h>

#include "layers/layers_internal.h"
#include "nn/core.h"

static int dropout_setup(nn_layer *l, nn_error *err)
{
    if (!(l->cfg->rate >= 0.0 && l->cfg->rate < 1.0))
        return nn_fail(err, NN_E_CONFIG, "[%s] rate must be in [0, 1)", l->cfg->name);
    l->out_shape = l->in_shape;
    return NN_OK;
}

static uint64_t mask_key(const nn_layer *l, const nn_ctx *ctx)
{
    char label[NN_NAME_LEN + 16];
    snprintf(label, sizeof label, "dropout:%s", l->cfg->name);
    return nn_rng_key(ctx->seed, nn_rng_stream(label, (uint64_t)ctx->epoch));
}

/* dst [B, n] = src * mask / (1 - rate) (or += when add). */
static void apply_mask(const nn_layer *l, const nn_ctx *ctx, const float *src, float *dst, int B,
                       int add)
{
    const size_t n = l->in_dim;
    const float rate = (float)l->cfg->rate, scale = 1.0f / (1.0f - rate);
    const uint64_t key = mask_key(l, ctx);
    const uint32_t threshold = (uint32_t)(l->cfg->rate * 16777216.0); /* keep when 24 bits >= it */
#pragma omp parallel for num_threads(l->threads) if ((size_t)B * n > NN_OMP_MIN) schedule(static)
    for (int b = 0; b < B; ++b) {
        const uint64_t id = ctx->sample_ids ? ctx->sample_ids[b] : (uint64_t)b;
        const float *s = src + (size_t)b * n;
        float *d = dst + (size_t)b * n;
        for (size_t j = 0; j < n; ++j) {
            const uint32_t u = (uint32_t)(nn_rng_bits_key(key, id * n + j) >> 40);
            const float v = u >= threshold ? s[j] * scale : 0.0f;
            d[j] = add ? d[j] + v : v;
        }
    }
}

static void dropout_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                            const nn_ctx *ctx)
{
    if (ctx->training && l->cfg->rate > 0)
        apply_mask(l, ctx, inputs[0], out, B, 0);
    else
        nn_grad_put(out, inputs[0], (size_t)B * l->in_dim, 0);
}

static void dropout_backward(nn_layer *l, const float *const *inputs, const float *out, float *dout,
                             float *const *dins, int B, const nn_ctx *ctx)
{
    (void)inputs, (void)out;
    if (!dins[0])
        return;
    if (ctx->training && l->cfg->rate > 0)
        apply_mask(l, ctx, dout, dins[0], B, l->din_add[0]);
    else
        nn_grad_put(dins[0], dout, (size_t)B * l->in_dim, l->din_add[0]);
}

const nn_layer_ops nn_dropout_ops = {
    .type = "dropout",
    .doc = "Inverted dropout: in training each value is zeroed with probability `rate`; "
           "which ones is a function of (seed, epoch, sample index), never of the rank. "
           "Evaluation passes values through.",
    .min_inputs = 1,
    .max_inputs = 1,
    .setup = dropout_setup,
    .forward = dropout_forward,
    .backward = dropout_backward,
};
