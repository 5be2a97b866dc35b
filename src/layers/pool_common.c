/* What max and average pooling share: checking the window and the output
 * shape, the clipped window, and the loops over the channel planes of a
 * batch (each kind brings what it does to one plane). */
#include <omp.h>

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
    int (*count)(int, int, int, int) = c->ceil_mode ? nn_window_count_ceil : nn_window_count;
    const int ho = count(in.h, c->size, s, c->padding);
    const int wo = count(in.w, c->size, s, c->padding);
    if (ho < 1 || wo < 1) {
        char t[64];
        return nn_fail(err, NN_E_CONFIG, "[%s] a %d x %d window does not fit its %s input", c->name,
                       c->size, c->size, nn_shape_text(in, t, sizeof t));
    }
    l->out_shape = (nn_shape){ in.c, ho, wo };
    return NN_OK;
}

nn_pool_geom nn_pool_geometry(const nn_layer *l)
{
    const nn_layer_config *c = l->cfg;
    nn_pool_geom g = { l->in_shape.h,
                       l->in_shape.w,
                       c->size,
                       stride_of(c),
                       c->padding,
                       l->out_shape.h,
                       l->out_shape.w,
                       (size_t)l->in_shape.h * l->in_shape.w,
                       (size_t)l->out_shape.h * l->out_shape.w };
    return g;
}

/* Planes [*q0, *q1) of thread t of T: contiguous shares. */
static void share(size_t planes, int t, int T, size_t *q0, size_t *q1)
{
    *q0 = planes * (size_t)t / (size_t)T;
    *q1 = planes * (size_t)(t + 1) / (size_t)T;
}

void nn_pool_forward(nn_layer *l, const float *x, float *y, int B, nn_pool_planes_fwd *planes,
                     size_t scratch_floats)
{
    const nn_pool_geom g = nn_pool_geometry(l);
    const size_t n = (size_t)B * l->in_shape.c;
#pragma omp parallel num_threads(l->threads) if (n * g.in_plane > NN_OMP_MIN)
    {
        const int t = omp_get_thread_num();
        float *scratch = scratch_floats ? l->ws + (size_t)t * scratch_floats : NULL;
        size_t q0, q1;
        share(n, t, omp_get_num_threads(), &q0, &q1);
        if (q1 > q0)
            planes(l, &g, q0, q1 - q0, x + q0 * g.in_plane, y + q0 * g.out_plane, scratch);
    }
}

void nn_pool_backward(nn_layer *l, const float *dout, float *const *dins, int B,
                      nn_pool_planes_bwd *planes)
{
    float *dx = dins[0];
    if (!dx)
        return;
    const nn_pool_geom g = nn_pool_geometry(l);
    const size_t n = (size_t)B * l->in_shape.c;
#pragma omp parallel num_threads(l->threads) if (n * g.in_plane > NN_OMP_MIN)
    {
        size_t q0, q1;
        share(n, omp_get_thread_num(), omp_get_num_threads(), &q0, &q1);
        if (q1 > q0)
            planes(l, &g, q0, q1 - q0, dout + q0 * g.out_plane, dx + q0 * g.in_plane);
    }
}
