/* Building, initialising and running a network of layers. */
#include "nn/network.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/rng.h"

/* Resolve `input =` and check that every layer but the last feeds exactly one
 * later layer: a dense-only network is a chain, possibly written out of order. */
static int wire_layers(nn_network *net, nn_error *err)
{
    int consumers[NN_MAX_LAYERS] = { 0 };
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        l->input = l->cfg->input_index;
        if (l->input < -1 || l->input >= i)
            return nn_fail(err, NN_E_CONFIG, "layer [%s]: its input is not an earlier layer",
                           l->cfg->name);
        if (l->input >= 0)
            consumers[l->input]++;
    }
    for (int i = 0; i < net->n_layers - 1; ++i)
        if (consumers[i] != 1)
            return nn_fail(err, NN_E_CONFIG,
                           "layer [%s] feeds %d layers; every layer but the last must feed exactly one",
                           net->layers[i].cfg->name, consumers[i]);
    if (consumers[net->n_layers - 1] != 0)
        return nn_fail(err, NN_E_CONFIG, "the last layer [%s] must be the network's output",
                       net->layers[net->n_layers - 1].cfg->name);
    return NN_OK;
}

static int setup_layers(nn_network *net, nn_error *err)
{
    size_t offset = 0;
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        l->in_shape = l->input < 0 ? net->in_shape : net->layers[l->input].out_shape;
        l->in_dim = nn_shape_dim(l->in_shape);
        int rc = l->ops->setup(l, err);
        if (rc)
            return rc;
        l->out_dim = nn_shape_dim(l->out_shape);
        for (int p = 0; p < l->n_params; ++p) {
            l->params[p].offset = offset;
            /* Keep every tensor 64-byte aligned inside the flat buffer. */
            offset += (l->params[p].size + 15) / 16 * 16;
        }
    }
    net->n_params = offset;
    return NN_OK;
}

static int allocate(nn_network *net, nn_error *err)
{
    net->params = nn_alloc_floats(net->n_params, err);
    net->grads = net->params ? nn_alloc_floats(net->n_params + NN_GRAD_TAIL, err) : NULL;
    size_t act = 0;
    for (int i = 0; i < net->n_layers; ++i)
        act += 2 * ((size_t)net->max_batch * net->layers[i].out_dim + 16);
    net->act_pool = net->grads ? nn_alloc_floats(act, err) : NULL;
    if (!net->act_pool)
        return err ? err->code : NN_E_NOMEM;
    float *p = net->act_pool;
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        size_t n = ((size_t)net->max_batch * l->out_dim + 15) / 16 * 16;
        l->out = p;
        l->dout = p + n;
        p += 2 * n;
        for (int k = 0; k < l->n_params; ++k) {
            l->params[k].value = net->params + l->params[k].offset;
            l->params[k].grad = net->grads + l->params[k].offset;
        }
    }
    return NN_OK;
}

int nn_network_build(nn_network *net, const nn_config *cfg, nn_shape in, int max_batch,
                     nn_error *err)
{
    memset(net, 0, sizeof *net);
    if (cfg->n_layers < 1)
        return nn_fail(err, NN_E_CONFIG, "%s: the network has no layers", cfg->path);
    net->in_shape = in;
    net->in_dim = nn_shape_dim(in);
    net->max_batch = max_batch < 1 ? 1 : max_batch;
    net->n_layers = cfg->n_layers;
    for (int i = 0; i < cfg->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        l->cfg = &cfg->layers[i];
        l->index = i;
        l->ops = nn_layer_ops_find(l->cfg->type);
        if (!l->ops)
            return nn_fail(err, NN_E_CONFIG, "%s:%d: [%s] unknown layer type '%s'", cfg->path,
                           l->cfg->line, l->cfg->name, l->cfg->type);
    }
    int rc = wire_layers(net, err);
    if (!rc)
        rc = setup_layers(net, err);
    if (!rc)
        rc = allocate(net, err);
    if (rc) {
        nn_network_free(net);
        return rc;
    }
    net->out_dim = net->layers[net->n_layers - 1].out_dim;
    return NN_OK;
}

void nn_network_free(nn_network *net)
{
    nn_free_aligned(net->params);
    nn_free_aligned(net->grads);
    nn_free_aligned(net->act_pool);
    net->params = net->grads = net->act_pool = NULL;
}

static void init_param(nn_param *p, const char *layer, uint64_t seed)
{
    char label[160];
    snprintf(label, sizeof label, "init:%s/%s", layer, p->name);
    uint64_t stream = nn_rng_stream(label, 0);
    double limit = 0.0;
    switch (p->init) {
    case NN_INIT_XAVIER: /* Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
        limit = sqrt(6.0 / (double)(p->fan_in + p->fan_out));
        break;
    case NN_INIT_HE: /* He uniform: a = sqrt(6 / fan_in), for ReLU networks */
        limit = sqrt(6.0 / (double)p->fan_in);
        break;
    case NN_INIT_ZEROS:
        memset(p->value, 0, p->size * sizeof(float));
        return;
    }
    for (size_t i = 0; i < p->size; ++i)
        p->value[i] = (float)((2.0 * nn_rng_uniform(seed, stream, i) - 1.0) * limit);
}

void nn_network_init(nn_network *net, uint64_t seed)
{
    for (int i = 0; i < net->n_layers; ++i)
        for (int k = 0; k < net->layers[i].n_params; ++k)
            init_param(&net->layers[i].params[k], net->layers[i].cfg->name, seed);
}

static const float *layer_input(const nn_network *net, const nn_layer *l, const float *x)
{
    return l->input < 0 ? x : net->layers[l->input].out;
}

const float *nn_network_forward(nn_network *net, const float *x, int B)
{
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        l->ops->forward(l, layer_input(net, l, x), l->out, B);
    }
    return net->layers[net->n_layers - 1].out;
}

void nn_network_backward(nn_network *net, const float *x, int B)
{
    for (int i = net->n_layers - 1; i >= 0; --i) {
        nn_layer *l = &net->layers[i];
        float *din = l->input < 0 ? NULL : net->layers[l->input].dout;
        l->ops->backward(l, layer_input(net, l, x), l->out, l->dout, din, B);
    }
}

nn_layer *nn_network_output_layer(nn_network *net) { return &net->layers[net->n_layers - 1]; }

void nn_network_summary(const nn_network *net, FILE *f)
{
    fprintf(f, "%-16s %-8s %-10s %-16s %12s\n", "layer", "type", "activation", "output", "params");
    fprintf(f, "%-16s %-8s %-10s %4d x %3d x %3d %12s\n", "(input)", "", "", net->in_shape.c,
            net->in_shape.h, net->in_shape.w, "");
    size_t total = 0;
    for (int i = 0; i < net->n_layers; ++i) {
        const nn_layer *l = &net->layers[i];
        size_t n = 0;
        for (int k = 0; k < l->n_params; ++k)
            n += l->params[k].size;
        total += n;
        fprintf(f, "%-16s %-8s %-10s %4d x %3d x %3d %12zu\n", l->cfg->name, l->cfg->type,
                nn_activation_name(l->cfg->activation), l->out_shape.c, l->out_shape.h,
                l->out_shape.w, n);
    }
    fprintf(f, "%-16s %60zu\n", "total", total);
}

int nn_network_param_count(const nn_network *net)
{
    int n = 0;
    for (int i = 0; i < net->n_layers; ++i)
        n += net->layers[i].n_params;
    return n;
}

void nn_network_param_tensors(const nn_network *net, const char *prefix, float *base,
                              nn_named_tensor *list)
{
    int t = 0;
    for (int i = 0; i < net->n_layers; ++i) {
        const nn_layer *l = &net->layers[i];
        for (int k = 0; k < l->n_params; ++k, ++t) {
            const nn_param *p = &l->params[k];
            nn_named_tensor *nt = &list[t];
            snprintf(nt->name, sizeof nt->name, "%s/%s/%s", prefix, l->cfg->name, p->name);
            nt->rank = p->rank;
            for (int d = 0; d < p->rank; ++d)
                nt->dims[d] = p->dims[d];
            nt->data = base + p->offset;
        }
    }
}
