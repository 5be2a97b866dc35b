/* Building and initialising a network of layers: wiring the graph, setting
 * up every layer, laying out the flat buffers. Running it: network_run.c. */
#include "nn/network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/core.h"

/* "config:line: " in front of a layer's message. */
static int layer_fail(const nn_network *net, const nn_layer *l, nn_error *err)
{
    return nn_fail_wrap(err, "%s:%d", net->path, l->cfg->line);
}

/* Every layer's per-input arrays (inputs, in_shapes, in_dims, din_add),
 * carved from one block sized to the inputs the config gives; the widest
 * type first, so that each array is aligned. */
static int allocate_inputs(nn_network *net, nn_error *err)
{
    size_t total = 0;
    for (int i = 0; i < net->n_layers; ++i)
        total += net->layers[i].cfg->n_inputs > 0 ? (size_t)net->layers[i].cfg->n_inputs : 0;
    size_t *dims = nn_calloc(total, sizeof(size_t) + sizeof(nn_shape) + 2 * sizeof(int), err);
    if (!dims)
        return NN_E_NOMEM;
    net->input_pool = dims;
    nn_shape *shapes = (nn_shape *)(void *)(dims + total);
    int *inputs = (int *)(void *)(shapes + total), *add = inputs + total;
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        const int n = l->cfg->n_inputs > 0 ? l->cfg->n_inputs : 0;
        l->in_dims = dims, l->in_shapes = shapes, l->inputs = inputs, l->din_add = add;
        dims += n, shapes += n, inputs += n, add += n;
    }
    return NN_OK;
}

/* Resolve the inputs of every layer and check the graph: inputs come from
 * earlier layers (so config order is a topological order), every layer but
 * the last feeds at least one later layer, the last feeds none. consumers:
 * [n_layers] zeroed scratch. */
static int wire_layers(nn_network *net, int *consumers, nn_error *err)
{
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        const nn_layer_config *c = l->cfg;
        if (c->n_inputs < l->ops->min_inputs || c->n_inputs > l->ops->max_inputs) {
            nn_fail(err, NN_E_CONFIG, "[%s] a %s layer takes %d to %d inputs, not %d", c->name,
                    c->type, l->ops->min_inputs, l->ops->max_inputs, c->n_inputs);
            return layer_fail(net, l, err);
        }
        l->n_inputs = c->n_inputs;
        for (int k = 0; k < l->n_inputs; ++k) {
            l->inputs[k] = c->input_index[k];
            if (l->inputs[k] < -1 || l->inputs[k] >= i) {
                nn_fail(err, NN_E_CONFIG, "[%s] input %d is not an earlier layer", c->name, k + 1);
                return layer_fail(net, l, err);
            }
            if (l->inputs[k] >= 0)
                consumers[l->inputs[k]]++;
        }
    }
    for (int i = 0; i < net->n_layers - 1; ++i)
        if (consumers[i] == 0) {
            nn_fail(err, NN_E_CONFIG,
                    "[%s] feeds no layer: every layer but the last must be "
                    "the input of a later one (the last is the network's output)",
                    net->layers[i].cfg->name);
            return layer_fail(net, &net->layers[i], err);
        }
    nn_layer *last = &net->layers[net->n_layers - 1];
    if (consumers[net->n_layers - 1] != 0) {
        nn_fail(err, NN_E_CONFIG, "the last layer [%s] must be the network's output",
                last->cfg->name);
        return layer_fail(net, last, err);
    }
    return NN_OK;
}

/* Backward visits layers last to first. The first gradient to reach a
 * producer's dout (or the network input's dx) is stored, later ones add.
 * written: [n_layers + 1] zeroed scratch ([0]: the network input, [i + 1]:
 * layer i). */
static void mark_gradient_sums(nn_network *net, int *written)
{
    for (int i = net->n_layers - 1; i >= 0; --i) {
        nn_layer *l = &net->layers[i];
        for (int k = 0; k < l->n_inputs; ++k) {
            int *w = &written[l->inputs[k] + 1];
            l->din_add[k] = *w;
            *w = 1;
        }
    }
}

/* Point every layer's params at its run of the pool (NULL for none). */
static void point_params(nn_network *net)
{
    nn_param *p = net->param_pool;
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        l->params = l->n_params > 0 ? p : NULL;
        p += l->n_params;
    }
}

/* Each layer declares its parameters in setup, into the pool after those of
 * the layers before it; the pool has room for NN_MAX_PARAMS a layer and is
 * cut to what they declared at the end. */
static int setup_layers(nn_network *net, nn_error *err)
{
    net->param_pool = nn_calloc((size_t)net->n_layers * NN_MAX_PARAMS, sizeof(nn_param), err);
    if (!net->param_pool)
        return NN_E_NOMEM;
    size_t offset = 0, declared = 0;
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        l->params = net->param_pool + declared;
        for (int k = 0; k < l->n_inputs; ++k) {
            int p = l->inputs[k];
            l->in_shapes[k] = p < 0 ? net->in_shape : net->layers[p].out_shape;
            l->in_dims[k] = nn_shape_dim(l->in_shapes[k]);
        }
        l->in_shape = l->in_shapes[0];
        l->in_dim = l->in_dims[0];
        l->threads = net->threads;
        l->conv_algorithm = net->conv_algorithm;
        l->max_batch = net->max_batch;
        int rc = l->ops->setup(l, err);
        if (rc)
            return layer_fail(net, l, err);
        l->out_dim = nn_shape_dim(l->out_shape);
        if (l->out_dim == 0) {
            nn_fail(err, NN_E_CONFIG, "[%s] has an empty output (%d x %d x %d)", l->cfg->name,
                    l->out_shape.c, l->out_shape.h, l->out_shape.w);
            return layer_fail(net, l, err);
        }
        if ((!l->ops->forward || !l->ops->backward) &&
            (l->n_inputs != 1 || l->out_dim != l->in_dim)) { /* see nn_layer_ops */
            nn_fail(err, NN_E_STATE,
                    "[%s] a %s layer copies its input, so it needs one input "
                    "of its output's size",
                    l->cfg->name, l->cfg->type);
            return layer_fail(net, l, err);
        }
        for (int p = 0; p < l->n_params; ++p) {
            l->params[p].offset = offset;
            /* Keep every tensor 64-byte aligned inside the flat buffer. */
            offset += (l->params[p].size + 15) / 16 * 16;
        }
        declared += (size_t)l->n_params;
    }
    net->n_params = offset;
    nn_param *fit = realloc(net->param_pool, (declared > 0 ? declared : 1) * sizeof(nn_param));
    if (fit) /* else the larger block stays */
        net->param_pool = fit;
    point_params(net);
    return NN_OK;
}

/* Let a layer do the work of the one layer its output feeds when its kind
 * can (nn_layer_ops.absorbs, e.g. a convolution and its 2 x 2 max-pool):
 * the activations then make one trip through memory instead of two.
 * consumers: [n_layers] from wire_layers. */
static void fuse_layers(nn_network *net, const int *consumers)
{
    for (int i = 0; i + 1 < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        if (consumers[i] != 1 || !l->ops->absorbs || l->absorbed_by)
            continue;
        nn_layer *next = NULL;
        for (int j = i + 1; j < net->n_layers && !next; ++j)
            for (int k = 0; k < net->layers[j].n_inputs; ++k)
                if (net->layers[j].inputs[k] == i)
                    next = &net->layers[j];
        if (next && next->n_inputs == 1 && !next->absorbed && l->ops->absorbs(l, next)) {
            l->absorbed = next;
            next->absorbed_by = l;
        }
    }
}

static int allocate(nn_network *net, nn_error *err)
{
    size_t act = 0, aux = 0, ws = 0;
    for (int i = 0; i < net->n_layers; ++i) {
        const nn_layer *l = &net->layers[i];
        act += 2 * nn_round16((size_t)net->max_batch * l->out_dim);
        aux += nn_round16(l->aux_size);
        ws = l->ws_size > ws ? l->ws_size : ws;
    }
    net->params = nn_alloc_floats(net->n_params, err);
    net->grads = net->params ? nn_alloc_floats(net->n_params + NN_GRAD_TAIL, err) : NULL;
    net->act_pool = net->grads ? nn_alloc_floats(act, err) : NULL;
    net->aux_pool = net->act_pool ? nn_alloc_floats(aux, err) : NULL;
    net->ws = net->aux_pool ? nn_alloc_floats(ws, err) : NULL;
    if (!net->ws)
        return err ? err->code : NN_E_NOMEM;
    float *p = net->act_pool, *a = net->aux_pool;
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        size_t n = nn_round16((size_t)net->max_batch * l->out_dim);
        l->out = p;
        l->dout = p + n;
        p += 2 * n;
        l->aux = a;
        a += nn_round16(l->aux_size);
        l->ws = net->ws;
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
    return nn_network_build_threads(net, cfg, in, max_batch, nn_get_threads(), err);
}

int nn_network_build_threads(nn_network *net, const nn_config *cfg, nn_shape in, int max_batch,
                             int threads, nn_error *err)
{
    memset(net, 0, sizeof *net);
    net->path = cfg->path;
    if (cfg->n_layers < 1)
        return nn_fail(err, NN_E_CONFIG, "%s: the network has no layers", cfg->path);
    net->in_shape = in;
    net->in_dim = nn_shape_dim(in);
    net->max_batch = max_batch < 1 ? 1 : max_batch;
    net->threads = threads < 1 ? 1 : threads;
    net->conv_algorithm = cfg->train.conv_algorithm;
    net->fuse_layers = cfg->train.fuse_layers;
    net->layers = nn_calloc((size_t)cfg->n_layers, sizeof *net->layers, err);
    int *count = net->layers ? nn_calloc((size_t)cfg->n_layers + 1, sizeof *count, err) : NULL;
    int rc = count ? NN_OK : NN_E_NOMEM;
    if (!rc)
        net->n_layers = cfg->n_layers;
    for (int i = 0; i < net->n_layers && !rc; ++i) {
        nn_layer *l = &net->layers[i];
        l->cfg = &cfg->layers[i];
        l->index = i;
        l->ops = nn_layer_ops_find(l->cfg->type);
        if (!l->ops)
            rc = nn_fail(err, NN_E_CONFIG, "%s:%d: [%s] unknown layer type '%s'", cfg->path,
                         l->cfg->line, l->cfg->name, l->cfg->type);
    }
    if (!rc)
        rc = allocate_inputs(net, err);
    if (!rc)
        rc = wire_layers(net, count, err);
    if (!rc)
        rc = setup_layers(net, err);
    if (!rc && net->fuse_layers)
        fuse_layers(net, count);
    if (!rc)
        rc = allocate(net, err);
    if (!rc) {
        memset(count, 0, ((size_t)net->n_layers + 1) * sizeof *count);
        mark_gradient_sums(net, count);
        net->out_dim = net->layers[net->n_layers - 1].out_dim;
    }
    free(count);
    if (rc)
        nn_network_free(net);
    return rc;
}

void nn_network_free(nn_network *net)
{
    nn_free_aligned(net->params);
    nn_free_aligned(net->grads);
    nn_free_aligned(net->act_pool);
    nn_free_aligned(net->aux_pool);
    nn_free_aligned(net->ws);
    free(net->layers);
    free(net->param_pool);
    free(net->input_pool);
    net->params = net->grads = net->act_pool = net->aux_pool = net->ws = NULL;
    net->layers = NULL;
    net->param_pool = NULL;
    net->input_pool = NULL;
    net->n_layers = 0;
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
    case NN_INIT_CONST:
        for (size_t i = 0; i < p->size; ++i)
            p->value[i] = p->init == NN_INIT_CONST ? p->fill : 0.0f;
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

nn_layer *nn_network_output_layer(nn_network *net) { return &net->layers[net->n_layers - 1]; }

nn_layer *nn_network_find(nn_network *net, const char *name)
{
    for (int i = 0; i < net->n_layers; ++i)
        if (strcmp(net->layers[i].cfg->name, name) == 0)
            return &net->layers[i];
    return NULL;
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
