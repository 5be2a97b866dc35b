/* Flatten: C x H x W -> (C H W) x 1 x 1. Activations are NCHW rows already,
 * so the values do not move: the network's default forward and backward
 * (NULL in the table) copy them, which keeps every layer's output its own. */
#include "layers/layers_internal.h"

static int flatten_setup(nn_layer *l, nn_error *err)
{
    (void)err;
    l->out_shape = (nn_shape){ (int)l->in_dim, 1, 1 };
    return NN_OK;
}

const nn_layer_ops nn_flatten_ops = {
    .type = "flatten",
    .doc = "C x H x W -> (C H W) x 1 x 1, in NCHW order (as PyTorch's Flatten). No keys "
           "besides `type` and `input`.",
    .min_inputs = 1,
    .max_inputs = 1,
    .setup = flatten_setup,
};
