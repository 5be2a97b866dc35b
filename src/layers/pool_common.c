/* What max and average pooling share: checking the window and the output
 * shape. */
#include "layers/layers_internal.h"

static int stride_of(const nn_layer_config *c) { return c->stride > 0 ? c->stride : c->size; }

int nn_pool_setup(nn_layer *l, nn_error *err)
{
    const nn_layer_config *c = l->cfg;
    const nn_shape in = l->in_shape;
    if (c->size < 1 || c->stride < 0 || c->padding < 0)
        return nn_fail(err, NN_E_CONFIG, "[%s] size must be >= 1, stride and padding >= 0",
                       c->name);
    if (c->padding >= c->size)
        return nn_fail(err, NN_E_CONFIG, "[%s] padding %d must be smaller than size %d", c->name,
                       c->padding, c->size);
    const int s = stride_of(c);
    const int ho = nn_window_count(in.h, c->size, s, c->padding);
    const int wo = nn_window_count(in.w, c->size, s, c->padding);
    if (ho < 1 || wo < 1) {
        char t[64];
        return nn_fail(err, NN_E_CONFIG, "[%s] a %d x %d window does not fit its %s input",
                       c->name, c->size, c->size, nn_shape_text(in, t, sizeof t));
    }
    l->out_shape = (nn_shape){ in.c, ho, wo };
    return NN_OK;
}

nn_pool_geom nn_pool_geometry(const nn_layer *l)
{
    const nn_layer_config *c = l->cfg;
    nn_pool_geom g = { l->in_shape.h, l->in_shape.w, c->size, stride_of(c), c->padding,
                       l->out_shape.h, l->out_shape.w };
    return g;
}
