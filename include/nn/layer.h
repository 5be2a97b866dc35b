/* The layer interface: every layer kind is one file in src/layers/ that fills
 * an nn_layer_ops table. The network owns all memory; a layer only sees
 * views: its parameters and their gradients (slices of two flat buffers, so
 * one allreduce moves every gradient), its inputs and its output.
 *
 * Activations are [B, dim] row-major, B = samples in the (local) batch,
 * dim = c*h*w of the per-sample shape: images are NCHW [B, C, H, W].
 *
 * Module layers (src/layers, nn_layers): one file per layer kind and the
 * registry of kinds. May call: core.
 */
#ifndef NN_LAYER_H
#define NN_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "nn/config.h"
#include "nn/error.h"

#define NN_MAX_PARAMS 4 /* parameter tensors one layer may declare */

typedef struct nn_shape {
    int c, h, w; /* per-sample shape; a vector of n features is (n, 1, 1) */
} nn_shape;

static inline size_t nn_shape_dim(nn_shape s) { return (size_t)s.c * s.h * s.w; }

/* One parameter tensor of a layer: a view into the network's flat buffers. */
typedef struct nn_param {
    char name[16]; /* "W", "b", "gamma", "running_mean" */
    int rank;
    uint64_t dims[4];
    size_t size;   /* product of dims */
    size_t offset; /* position in the flat parameter buffer */
    float *value;  /* = params + offset */
    float *grad;   /* = grads + offset */
    int decay;     /* weight decay applies (weights yes, biases no) */
    int update;    /* the optimizer updates it: 0 for state a layer keeps
                             itself (batch-norm running statistics) and for
                             frozen layers (fine-tuning) */
    int state;     /* kept by the layer, not learned (running statistics):
                             saved and restored, not counted as a parameter */
    nn_init_kind init;
    float fill; /* init = NN_INIT_CONST: every element starts at fill */
    size_t fan_in, fan_out;
} nn_param;

/* What a layer may need to know about the step it runs in. Layers never
 * call MPI: a sum over ranks goes through sum_floats, which the trainer
 * binds to nn_dist_sum_floats. */
typedef struct nn_ctx {
    int training;             /* 1: a training step (batch statistics, dropout); 0: evaluation */
    uint64_t seed;            /* the run's seed */
    int64_t epoch;            /* 0-based epoch of the step */
    const size_t *sample_ids; /* [B] global index of each row's sample; NULL: row numbers */
    /* In-place sum of buf [n] over every rank of the job; NULL for a single
     * process. Collective: when a layer calls it in a training step, every
     * rank calls it at the same point, a rank without samples (B = 0) too. */
    void (*sum_floats)(float *buf, size_t n);
    /* Called by the network (never by layers) after the backward of each
     * layer, with its index; layers finish last to first, and a layer's
     * parameter gradients are final once it has finished. The trainer
     * starts summing them over ranks while earlier layers still compute.
     * NULL: no call. */
    void (*backward_done)(void *arg, int layer);
    void *backward_arg;
} nn_ctx;

typedef struct nn_layer nn_layer;

/* A layer kind. The table of kinds (src/layers/registry.c) is the one list
 * the config reads: the `type =` values it accepts, how many inputs each
 * takes, which can be frozen, and the kind's paragraph in docs/config.md
 * (its keys are in the config's key table, src/io/config_schema.c). */
typedef struct nn_layer_ops {
    const char *type;           /* the name: the `type =` value */
    const char *doc;            /* what it computes, one paragraph of Markdown */
    int min_inputs, max_inputs; /* how many layers may feed it (1, 1 for most) */
    int has_params;             /* has trainable parameters (can be frozen) */
    int has_activation;         /* applies cfg->activation to its output */
    /* From l->cfg and l->in_shapes: check them, set l->out_shape, declare
     * parameters (name, dims, init, decay, fans), and say how much memory it
     * needs besides: l->aux_size floats of its own that live as long as the
     * network (e.g. batch statistics kept from forward for backward), and
     * l->ws_size floats of scratch for one call (shared with every other
     * layer; forward and backward may use it freely). l->threads is the
     * number of threads a call may use. No allocation. */
    int (*setup)(nn_layer *l, nn_error *err);
    /* out [B, out_dim] = f(in[0] [B, in_dims[0]], in[1], ...). B may be 0.
     * NULL: out is a copy of in[0], for a layer that only gives the values
     * another shape (flatten); it takes one input and out_dim = in_dim. */
    void (*forward)(nn_layer *l, const float *const *in, float *out, int B, const nn_ctx *ctx);
    /* Given dout = dL/d(out) [B, out_dim] (may be overwritten), write the
     * parameter gradients (overwriting, not accumulating) and, for each input
     * k with din[k] != NULL, dL/d(in[k]) [B, in_dims[k]]: stored into din[k]
     * when l->din_add[k] is 0, added to what din[k] holds when it is 1 (a
     * layer whose output feeds several layers receives the sum). Inputs are
     * handled in order k = 0, 1, ... (two slots may share one buffer). When
     * l->dout_is_preact is set, dout already holds dL/d(pre-activation)
     * (softmax fused with cross-entropy). NULL: din[0] receives dout, the
     * adjoint of the copy (as for forward, one input and out_dim = in_dim). */
    void (*backward)(nn_layer *l, const float *const *in, const float *out, float *dout,
                     float *const *din, int B, const nn_ctx *ctx);
    /* Optional: whether l can also do the work of `next`, the one layer its
     * output feeds and next's only input (both set up), inside its own
     * forward and backward, with the same results bit for bit (a
     * convolution followed by a 2 x 2 max-pool takes the maxima while its
     * output is still in cache). The network then sets l->absorbed = next
     * and next->absorbed_by = l and skips next's own forward and backward:
     * l's forward writes next->out and next->aux instead of l->out, and l's
     * backward reads next->dout (and next->out, next->aux) instead of
     * l->dout's contents, which it may use as scratch. NULL: never. */
    int (*absorbs)(const nn_layer *l, const nn_layer *next);
} nn_layer_ops;

/* The arrays of a layer are views into blocks the network allocates, sized
 * to what the config and the layer's setup ask for. */
struct nn_layer {
    const nn_layer_ops *ops;
    const nn_layer_config *cfg;
    int index; /* position in the network */
    int n_inputs;
    int *inputs;         /* [n_inputs] indices of the layers feeding it; -1 = the data */
    nn_shape *in_shapes; /* [n_inputs] */
    size_t *in_dims;     /* [n_inputs] */
    nn_shape in_shape;   /* = in_shapes[0] */
    size_t in_dim;       /* = in_dims[0] */
    nn_shape out_shape;
    size_t out_dim;
    nn_param *params; /* [n_params] (at most NN_MAX_PARAMS), declared in setup */
    int n_params;
    int dout_is_preact;
    int *din_add;    /* [n_inputs] */
    float *out;      /* [B_max, out_dim] owned by the network */
    float *dout;     /* [B_max, out_dim] */
    size_t aux_size; /* floats the layer keeps (setup says how many) */
    float *aux;      /* [aux_size], zeroed */
    size_t ws_size;  /* scratch floats one call needs (setup says) */
    float *ws;       /* [>= ws_size], shared by all layers */
    int threads;     /* threads a call may use (>= 1) */
    /* [train] conv_algorithm (read by conv layers) */
    nn_conv_algorithm conv_algorithm;
    int max_batch; /* most samples a call gets (for aux sized by batch) */
    /* Fusion (see nn_layer_ops.absorbs): the layer whose work this one also
     * does, and the layer doing this one's work; NULL when none. */
    nn_layer *absorbed;
    const nn_layer *absorbed_by;
    int frozen; /* fine-tuning keeps it fixed: no parameter updates,
                                  and batch norm normalises with its running
                                  statistics (a fixed function) */
    /* Profiling (when nn_network.profile is set): seconds in forward and
     * backward, and the floating-point operations and seconds of the layer's
     * matrix products (summed over threads). */
    int profile;
    double fwd_seconds, bwd_seconds, gemm_flops, gemm_seconds;
};

/* Look up the ops table of a layer type ("dense"); NULL if unknown. */
const nn_layer_ops *nn_layer_ops_find(const char *type);
/* The i-th layer kind (in the order the reference lists them), NULL past the last. */
const nn_layer_ops *nn_layer_ops_at(int i);

/* Declare a parameter during setup (updated by the optimizer, fill 0). */
nn_param *nn_layer_add_param(nn_layer *l, const char *name, int rank, const uint64_t *dims,
                             nn_init_kind init, int decay, size_t fan_in, size_t fan_out);

/* Element-wise activations, in place on x [n]; and their backward:
 * dx[i] *= f'(.) expressed through the output y (softmax over rows of width cols). */
void nn_activation_forward(nn_activation act, float *x, size_t rows, size_t cols);
void nn_activation_backward(nn_activation act, const float *y, float *dy, size_t rows, size_t cols);
const char *nn_activation_name(nn_activation act);

#endif
