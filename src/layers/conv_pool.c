/* A convolution that absorbs the max-pool its output feeds (network.c's
 * fusion, nn_layer_ops.absorbs): the convolution's forward takes the window
 * maxima of each output plane while the plane is still in cache and writes
 * only the pool's output and argmax, and its backward rebuilds dL/dZ from
 * the pool's gradient right before using it.
 *     forward:  y_pool = maxpool(act(W * x + b)), at = argmax (pool's aux)
 *     backward: dZ [F, HW] = 0, then dZ[at[o]] += (act = relu and
 *               y_pool[o] <= 0) ? 0 : dy_pool[o]
 * ReLU commutes with the maximum, and relu'(z) at the argmax is
 * [y_pool > 0], so the convolution's own output is never stored: the pool's
 * input is neither written nor read back, nor zeroed and scattered into in
 * backward, nor read again by the activation's backward. The arithmetic and
 * the tie rules are the unfused layers', so the results are the same bits
 * (tests/unit/test_train_conv.c, fused_pool_same_bits).
 * Why: on the bench CNN (batch 64, 1 thread, AMD EPYC 'skx') the two
 * 2 x 2 pools took 1.44 of the 16.2 ms of a step in nn_profile, every one of
 * their passes bound by memory bandwidth (docs/cnn.md, "Fusion"). */
#include "layers/layers_internal.h"

int nn_conv_pool_fusable(const nn_layer *conv, const nn_layer *pool, int winograd)
{
    extern const nn_layer_ops nn_maxpool_ops;
    const nn_activation act = conv->cfg->activation;
    if (pool->ops != &nn_maxpool_ops || (act != NN_ACT_RELU && act != NN_ACT_LINEAR))
        return 0;
    const nn_pool_geom g = nn_pool_geometry(pool);
    /* Winograd's output tiles are the 2 x 2 windows; the other paths pool
     * a whole plane, any window */
    return !winograd || nn_maxpool_is_2x2(&g);
}

void nn_conv_pool_plane(const nn_layer *conv, const float *z, int b, int f, float *scratch)
{
    const nn_layer *pool = conv->absorbed;
    const nn_pool_geom g = nn_pool_geometry(pool);
    const size_t q = (size_t)b * conv->out_shape.c + (size_t)f;
    nn_maxpool_plane(&g, z, pool->out + q * g.out_plane, nn_maxpool_argmax(pool, q), scratch);
}

void nn_conv_pool_grad(const nn_layer *conv, int b, float *dz, size_t plane_stride)
{
    const nn_layer *pool = conv->absorbed;
    const nn_pool_geom g = nn_pool_geometry(pool);
    const size_t F = (size_t)conv->out_shape.c, q0 = (size_t)b * F, n = F * g.out_plane;
    float *restrict dy = pool->dout + q0 * g.out_plane; /* the pool's, ours to overwrite */
    const float *restrict y = pool->out + q0 * g.out_plane;
    const int32_t *at = nn_maxpool_argmax(pool, q0);
    /* ReLU's mask first, in a loop without branches (a branch on it inside
     * the scatter below mispredicts half the time) */
    if (conv->cfg->activation == NN_ACT_RELU)
#pragma omp simd
        for (size_t o = 0; o < n; ++o)
            dy[o] = y[o] > 0.0f ? dy[o] : 0.0f;
    for (size_t f = 0; f < F; ++f)
        nn_maxpool_route_plane(&g, dy + f * g.out_plane, at + f * g.out_plane,
                               dz + f * plane_stride, 0);
}
