/* The layer interface: every layer kind is one file in src/layers/ that fills
 * an nn_layer_ops table. The network owns all memory; a layer only sees
 * views: its parameters and their gradients (slices of two flat buffers, so
 * one allreduce moves every gradient), its input and its output.
 *
 * Activations are [B, dim] row-major, B = samples in the (local) batch,
 * dim = c*h*w of the per-sample shape. */
#ifndef NN_LAYER_H
#define NN_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "nn/config.h"
#include "nn/error.h"

#define NN_MAX_PARAMS 4

typedef struct nn_shape {
    int c, h, w;   /* per-sample shape; a vector of n features is (n, 1, 1) */
} nn_shape;

static inline size_t nn_shape_dim(nn_shape s) { return (size_t)s.c * s.h * s.w; }

/* One parameter tensor of a layer: a view into the network's flat buffers. */
typedef struct nn_param {
    char name[16];        /* "W", "b" */
    int rank;
    uint64_t dims[4];
    size_t size;          /* product of dims */
    size_t offset;        /* position in the flat parameter buffer */
    float *value;         /* = params + offset */
    float *grad;          /* = grads + offset */
    int decay;            /* weight decay applies (weights yes, biases no) */
    nn_init_kind init;
    size_t fan_in, fan_out;
} nn_param;

typedef struct nn_layer nn_layer;

typedef struct nn_layer_ops {
    const char *type;
    /* From l->cfg and l->in_shape: set l->out_shape and declare parameters
     * (name, dims, init, decay, fans). No allocation of parameter memory. */
    int (*setup)(nn_layer *l, nn_error *err);
    /* out [B, out_dim] = f(in [B, in_dim]). */
    void (*forward)(nn_layer *l, const float *in, float *out, int B);
    /* Given dout = dL/d(out) [B, out_dim] (may be overwritten), write the
     * parameter gradients (overwriting, not accumulating) and, when din is not
     * NULL, din = dL/d(in) [B, in_dim]. When l->dout_is_preact is set, dout
     * already holds dL/d(pre-activation) (softmax fused with cross-entropy). */
    void (*backward)(nn_layer *l, const float *in, const float *out, float *dout,
                     float *din, int B);
} nn_layer_ops;

struct nn_layer {
    const nn_layer_ops *ops;
    const nn_layer_config *cfg;
    int index;                 /* position in the network */
    int input;                 /* index of the layer feeding this one; -1 = the data */
    nn_shape in_shape, out_shape;
    size_t in_dim, out_dim;
    nn_param params[NN_MAX_PARAMS];
    int n_params;
    int dout_is_preact;
    float *out;                /* [B_max, out_dim] owned by the network */
    float *dout;               /* [B_max, out_dim] */
};

/* Look up the ops table of a layer type ("dense"); NULL if unknown. */
const nn_layer_ops *nn_layer_ops_find(const char *type);

/* Declare a parameter during setup. */
nn_param *nn_layer_add_param(nn_layer *l, const char *name, int rank, const uint64_t *dims,
                             nn_init_kind init, int decay, size_t fan_in, size_t fan_out);

/* Element-wise activations, in place on x [n]; and their backward:
 * dx[i] *= f'(.) expressed through the output y (softmax over rows of width cols). */
void nn_activation_forward(nn_activation act, float *x, size_t rows, size_t cols);
void nn_activation_backward(nn_activation act, const float *y, float *dy, size_t rows,
                            size_t cols);
const char *nn_activation_name(nn_activation act);

#endif
