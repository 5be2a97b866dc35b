/* The table of layer kinds (the one list: the config reads its names, docs,
 * input counts and whether a kind has parameters from here) and the helpers
 * every kind shares. Adding a kind: its file, its ops, a row here, its keys
 * in src/io/config_schema.c. */
#include <stdio.h>
#include <string.h>

#include "nn/layer.h"

extern const nn_layer_ops nn_dense_ops, nn_conv_ops, nn_maxpool_ops, nn_avgpool_ops,
    nn_global_avgpool_ops, nn_batchnorm_ops, nn_dropout_ops, nn_flatten_ops, nn_add_ops,
    nn_concat_ops;

static const nn_layer_ops *const kinds[] = {
    &nn_dense_ops,     &nn_conv_ops,    &nn_maxpool_ops, &nn_avgpool_ops, &nn_global_avgpool_ops,
    &nn_batchnorm_ops, &nn_dropout_ops, &nn_flatten_ops, &nn_add_ops,     &nn_concat_ops,
};

const nn_layer_ops *nn_layer_ops_find(const char *type)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; ++i)
        if (strcmp(kinds[i]->type, type) == 0)
            return kinds[i];
    return NULL;
}

const nn_layer_ops *nn_layer_ops_at(int i)
{
    return i >= 0 && (size_t)i < sizeof kinds / sizeof kinds[0] ? kinds[i] : NULL;
}

nn_param *nn_layer_add_param(nn_layer *l, const char *name, int rank, const uint64_t *dims,
                             nn_init_kind init, int decay, size_t fan_in, size_t fan_out)
{
    nn_param *p = &l->params[l->n_params++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->rank = rank;
    p->size = 1;
    for (int i = 0; i < rank; ++i) {
        p->dims[i] = dims[i];
        p->size *= dims[i];
    }
    p->init = init;
    p->decay = decay;
    p->update = 1;
    p->fan_in = fan_in;
    p->fan_out = fan_out;
    return p;
}
