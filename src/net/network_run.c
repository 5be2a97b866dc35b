/* Running a network: forward in config order (a topological order of the
 * graph), backward in reverse, and the one-line-per-layer summary. */
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "nn/network.h"

static const nn_ctx eval_ctx = { 0, 0, 0, NULL, NULL, NULL, NULL };

/* The input views of layer l: producers' outputs, or the data x. */
static void gather_inputs(const nn_network *net, const nn_layer *l, const float *x,
                          const float *in[NN_MAX_INPUTS])
{
    for (int k = 0; k < l->n_inputs; ++k)
        in[k] = l->inputs[k] < 0 ? x : net->layers[l->inputs[k]].out;
}

/* The default forward and backward of a layer whose ops leave them NULL:
 * out = in, and din (+)= dout (see nn_layer_ops). */
static void copy_forward(const nn_layer *l, const float *in, int B)
{
    memcpy(l->out, in, (size_t)B * l->out_dim * sizeof(float));
}

static void copy_backward(const nn_layer *l, float *restrict din, int B)
{
    const float *restrict dout = l->dout;
    const size_t n = (size_t)B * l->out_dim;
    if (!din)
        return;
    if (!l->din_add[0]) {
        memcpy(din, dout, n * sizeof(float));
        return;
    }
#pragma omp simd
    for (size_t i = 0; i < n; ++i)
        din[i] += dout[i];
}

const float *nn_network_forward(nn_network *net, const float *x, int B)
{
    return nn_network_forward_ctx(net, x, B, NULL);
}

const float *nn_network_forward_ctx(nn_network *net, const float *x, int B, const nn_ctx *ctx)
{
    if (!ctx)
        ctx = &eval_ctx;
    const float *in[NN_MAX_INPUTS];
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        if (l->absorbed_by) /* its producer has computed it */
            continue;
        gather_inputs(net, l, x, in);
        l->profile = net->profile;
        double t0 = net->profile ? omp_get_wtime() : 0.0;
        if (l->ops->forward)
            l->ops->forward(l, in, l->out, B, ctx);
        else
            copy_forward(l, in[0], B);
        if (net->profile)
            l->fwd_seconds += omp_get_wtime() - t0;
    }
    return net->layers[net->n_layers - 1].out;
}

void nn_network_backward(nn_network *net, const float *x, int B, const nn_ctx *ctx)
{
    if (!ctx)
        ctx = &eval_ctx;
    const float *in[NN_MAX_INPUTS];
    float *din[NN_MAX_INPUTS];
    for (int i = net->n_layers - 1; i >= 0; --i) {
        nn_layer *l = &net->layers[i];
        if (l->absorbed_by) { /* its producer's backward does its part */
            if (ctx->backward_done)
                ctx->backward_done(ctx->backward_arg, i);
            continue;
        }
        gather_inputs(net, l, x, in);
        for (int k = 0; k < l->n_inputs; ++k)
            din[k] = l->inputs[k] < 0 ? net->dx : net->layers[l->inputs[k]].dout;
        double t0 = net->profile ? omp_get_wtime() : 0.0;
        if (l->ops->backward)
            l->ops->backward(l, in, l->out, l->dout, din, B, ctx);
        else
            copy_backward(l, din[0], B);
        if (net->profile)
            l->bwd_seconds += omp_get_wtime() - t0;
        if (ctx->backward_done)
            ctx->backward_done(ctx->backward_arg, i);
    }
}

/* "a, b" for a layer whose inputs are not just the previous layer. */
static void input_text(const nn_network *net, const nn_layer *l, char *buf, size_t n)
{
    buf[0] = '\0';
    if (l->n_inputs == 1 && l->inputs[0] == l->index - 1)
        return;
    size_t used = 0;
    for (int k = 0; k < l->n_inputs && used < n; ++k) {
        const char *name = l->inputs[k] < 0 ? "input" : net->layers[l->inputs[k]].cfg->name;
        int w = snprintf(buf + used, n - used, "%s%s", k ? ", " : "<- ", name);
        used += w > 0 ? (size_t)w : 0;
    }
}

void nn_network_summary(const nn_network *net, FILE *f)
{
    fprintf(f, "%-16s %-14s %-10s %-16s %12s\n", "layer", "type", "activation", "output", "params");
    fprintf(f, "%-16s %-14s %-10s %4d x %3d x %3d %12s\n", "(input)", "", "", net->in_shape.c,
            net->in_shape.h, net->in_shape.w, "");
    size_t total = 0;
    for (int i = 0; i < net->n_layers; ++i) {
        const nn_layer *l = &net->layers[i];
        size_t n = 0;
        for (int k = 0; k < l->n_params; ++k)
            if (!l->params[k].state)
                n += l->params[k].size;
        total += n;
        char inputs[NN_MAX_INPUTS * (NN_NAME_LEN + 2) + 4];
        input_text(net, l, inputs, sizeof inputs);
        const char *act = l->ops->has_activation ? nn_activation_name(l->cfg->activation) : "";
        char by[NN_NAME_LEN + 16] = ""; /* a fused layer: who computes it */
        if (l->absorbed_by)
            snprintf(by, sizeof by, "%scomputed by %s", inputs[0] ? " " : "",
                     l->absorbed_by->cfg->name);
        fprintf(f, "%-16s %-14s %-10s %4d x %3d x %3d %12zu %s%s\n", l->cfg->name, l->cfg->type,
                act, l->out_shape.c, l->out_shape.h, l->out_shape.w, n, inputs, by);
    }
    fprintf(f, "%-16s %55zu\n", "total", total);
}
