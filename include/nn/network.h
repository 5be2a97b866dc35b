/* The network engine: layers wired from the config, forward and backward
 * passes over a flat parameter buffer, the losses and the optimizers. Uses
 * core, layers and the config; knows nothing of data sets, MPI or files
 * beyond the checkpoint tensor list.
 *
 * Module net (src/net, nn_net). May call: core, layers, io's config and checkpoint types.
 */
#ifndef NN_NETWORK_H
#define NN_NETWORK_H

#include <stdint.h>
#include <stdio.h>

#include "nn/checkpoint.h"
#include "nn/config.h"
#include "nn/layer.h"

/* ---- network --------------------------------------------------------------- */

/* A network: layers in config order, wired by their `input` names into a
 * directed acyclic graph, with one flat parameter buffer and one flat
 * gradient buffer of the same layout. */
#define NN_GRAD_TAIL 16

typedef struct nn_network {
    nn_layer *layers; /* [n_layers] */
    int n_layers;
    nn_param *param_pool; /* every layer's nn_param, layer after layer */
    void *input_pool;     /* every layer's per-input arrays (inputs, in_shapes, ...) */
    const char *path;     /* config file, for messages */
    nn_shape in_shape;
    size_t in_dim, out_dim;
    int max_batch; /* rows the activation buffers hold */
    int threads;   /* threads a layer call may use */
    /* cfg->train.conv_algorithm, handed to the layers */
    nn_conv_algorithm conv_algorithm;
    int fuse_layers; /* cfg->train.fuse_layers: let layers absorb the next (nn_layer_ops) */
    size_t n_params; /* floats in params (and grads) */
    float *params;   /* all parameters, layer after layer */
    float *grads;    /* dL/dparams, same layout, followed by NN_GRAD_TAIL
                               spare floats: per-step statistics ride in the
                               same allreduce as the gradients */
    float *act_pool; /* every layer's out and dout, [max_batch, out_dim] each */
    float *aux_pool; /* every layer's own state (aux) */
    float *ws;       /* scratch shared by the layers */
    float *dx;       /* NULL, or [max_batch, in_dim] set by the caller:
                               backward then also writes dL/d(network input) */
    int profile;     /* time each layer (nn_layer fwd/bwd/gemm fields) */
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
/* Free what the build allocated (not dx, which the caller owns); safe after
 * a failed build and when called twice. */
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

/* ---- loss ------------------------------------------------------------------ */

/* Losses on the network output [B, K] against integer labels. */
typedef struct nn_loss_sums {
    double loss;    /* sum of per-sample losses */
    double correct; /* samples whose argmax equals the label */
    double count;   /* samples */
} nn_loss_sums;

/* Add the batch's loss and accuracy to *sums. When dout is not NULL also
 * write dL/d(output) [B, K] for L = scale * sum of per-sample losses
 * (scale = 1 / global batch, so gradients summed over ranks are the mean).
 * Cross-entropy requires a softmax output (p); it then writes the fused
 * gradient scale * (p - onehot) with respect to the softmax's input and sets
 * *dout_is_preact. MSE's per-sample loss is mean_k (y_k - onehot_k)^2. */
void nn_loss_eval(nn_loss_kind kind, const float *out, const int32_t *labels, int B, int K,
                  float scale, float *dout, int *dout_is_preact, nn_loss_sums *sums);

const char *nn_loss_name(nn_loss_kind kind);

/* ---- optim ----------------------------------------------------------------- */

/* Optimizers over the flat parameter buffer, and learning-rate schedules. */
typedef struct nn_optimizer {
    nn_optimizer_kind kind;
    double momentum, beta1, beta2, eps, weight_decay;
    size_t n;
    float *m; /* momentum velocity / Adam first moment, [n] (NULL for sgd) */
    float *v; /* Adam second moment, [n] (NULL otherwise) */
} nn_optimizer;

int nn_optim_init(nn_optimizer *opt, const nn_train_config *tc, size_t n_params, nn_error *err);
void nn_optim_free(nn_optimizer *opt);

/* One update of net->params from net->grads at learning rate lr; t is the
 * 1-based update count (Adam's bias correction). Weight decay (L2, added to
 * the gradient) applies to parameters flagged decay. Returns 1 when every
 * value it wrote (updated weights, m, v) and every tensor it does not update
 * (layer state such as batch-norm running statistics, frozen weights) is
 * finite, else 0: the check rides on the update's own loop instead of three
 * more passes over the buffers. A
 * non-finite gradient of an updated tensor always makes its weight
 * non-finite (w - lr * NaN or inf, also with lr = 0), so it is caught too. */
int nn_optim_step(nn_optimizer *opt, nn_network *net, double lr, int64_t t);

/* 1 when every x[0..n) is finite (neither NaN nor infinite), else 0. One
 * vectorised pass over the bits, so it holds under -ffinite-math-only too. */
int nn_floats_finite(const float *x, size_t n);

/* 1 when the optimizer state (m, v) holds only finite values. */
int nn_optim_state_finite(const nn_optimizer *opt);

/* Number of optimizer state buffers (0, 1 or 2) and their names ("m", "v"). */
int nn_optim_state_count(const nn_optimizer *opt);

/* Learning rate for a step: constant; step (lr * gamma^floor(epoch / step_epochs));
 * cosine (from lr down to min_lr over all steps of the run, per step). */
double nn_lr_at(const nn_train_config *tc, int64_t epoch, int64_t step, int64_t steps_per_epoch);

#endif
