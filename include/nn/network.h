/* A network: layers in config order, wired by their `input` names into a
 * directed acyclic graph, with one flat parameter buffer and one flat
 * gradient buffer of the same layout. */
#ifndef NN_NETWORK_H
#define NN_NETWORK_H

#include <stdio.h>

#include "nn/checkpoint.h"
#include "nn/config.h"
#include "nn/layer.h"

#define NN_GRAD_TAIL 16

typedef struct nn_network {
    nn_layer layers[NN_MAX_LAYERS];
    int n_layers;
    const char *path;       /* config file, for messages */
    nn_shape in_shape;
    size_t in_dim, out_dim;
    int max_batch;          /* rows the activation buffers hold */
    int threads;            /* threads a layer call may use */
    size_t n_params;        /* floats in params (and grads) */
    float *params;          /* all parameters, layer after layer */
    float *grads;           /* dL/dparams, same layout, followed by NN_GRAD_TAIL
                               spare floats: per-step statistics ride in the
                               same allreduce as the gradients */
    float *act_pool;        /* every layer's out and dout, [max_batch, out_dim] each */
    float *aux_pool;        /* every layer's own state (aux) */
    float *ws;              /* scratch shared by the layers */
    float *dx;              /* NULL, or [max_batch, in_dim] set by the caller:
                               backward then also writes dL/d(network input) */
    int profile;            /* time each layer (nn_layer fwd/bwd/gemm fields) */
} nn_network;

/* Build from cfg->layers for per-sample input shape `in`, with activation
 * buffers for up to max_batch samples, for calls on up to nn_get_threads()
 * threads. Checks the wiring (every layer but the last feeds at least one
 * later layer; the last feeds none) and every layer's input shapes; errors
 * are "config:line: [layer] ..." with code NN_E_CONFIG. Parameters are zero
 * until init. */
int nn_network_build(nn_network *net, const nn_config *cfg, nn_shape in, int max_batch,
                     nn_error *err);
/* The same for calls on up to `threads` threads. */
int nn_network_build_threads(nn_network *net, const nn_config *cfg, nn_shape in, int max_batch,
                             int threads, nn_error *err);
void nn_network_free(nn_network *net);

/* Initialise every parameter from (seed, layer name, parameter name, element
 * index) only: the same weights on every rank and for any rank count. */
void nn_network_init(nn_network *net, uint64_t seed);

/* Inference: forward x [B, in_dim] (B <= max_batch) in evaluation mode
 * (dropout off, batch norm on its running statistics); returns the output
 * [B, out_dim]. */
const float *nn_network_forward(nn_network *net, const float *x, int B);

/* Forward in the mode ctx says (NULL: evaluation). In training, B = 0 is
 * allowed and still takes part in the collectives of ctx. */
const float *nn_network_forward_ctx(nn_network *net, const float *x, int B, const nn_ctx *ctx);

/* Backward through every layer, after nn_network_forward_ctx with the same
 * x, B and ctx (NULL: evaluation); the last layer's dout must hold
 * dL/d(output) (or dL/d(pre-activation) when its dout_is_preact is set).
 * Fills grads (and dx when set). */
void nn_network_backward(nn_network *net, const float *x, int B, const nn_ctx *ctx);

nn_layer *nn_network_output_layer(nn_network *net);

/* The layer called name, or NULL. */
nn_layer *nn_network_find(nn_network *net, const char *name);

/* One line per layer: name, type, activation, output shape, parameter count,
 * and its inputs when they are not just the previous layer. */
void nn_network_summary(const nn_network *net, FILE *f);

/* Named views of the parameters ("model/<layer>/<param>") appended to list
 * (which must have room for the count returned by nn_network_param_count()). */
int nn_network_param_count(const nn_network *net);
void nn_network_param_tensors(const nn_network *net, const char *prefix, float *base,
                              nn_named_tensor *list);

#endif
