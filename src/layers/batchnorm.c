/* Batch normalization per channel (per feature for a vector input), then an
 * activation. Over the N = global batch x H x W values of channel c:
 *     x_hat = (x - mean_c) / sqrt(var_c + eps),   y = act(gamma_c x_hat + beta_c)
 * In training, mean and (biased) variance are those of the GLOBAL batch:
 * each rank sums its share and ctx->sum_floats adds the sums over ranks, so
 * every rank normalises with the same numbers whatever the rank count. The
 * running averages (unbiased variance, as PyTorch) are updated identically
 * on every rank and used in evaluation, and by a frozen layer (fine-tuning)
 * in training too, so that it stays a fixed function. Backward needs two more global sums
 * per channel, sum(dz) and sum(dz x_hat):
 *     dx = gamma invstd / N (N dz - sum dz - x_hat sum(dz x_hat))
 * while dgamma, dbeta are this rank's share (the trainer's allreduce adds
 * them up like every other gradient).
 *
 * aux (floats kept from forward to backward): mean [C], invstd [C], and a
 * buffer [2C + 1] for the sums.
 *
 * A max-pool absorbed (network.c's fusion, nn_layer_ops.absorbs, as a
 * convolution absorbs one in conv_pool.c): with ReLU or no activation the
 * maximum commutes with the activation, and relu'(z) at the argmax is
 * [y_pool > 0], so, plane by plane while it is in cache,
 *     forward:  act(a x + s) [h, w] into this thread's scratch, then its
 *               window maxima and argmax into the pool's output and aux
 *               (the pool's kernel and tie rules);
 *     backward: dz [h, w] = 0, dz[at[o]] += (relu and y_pool[o] <= 0) ? 0 :
 *               dy_pool[o], rebuilt in each of backward's two passes.
 * Backward recomputes x_hat from x, mean and invstd and never reads y, so
 * the layer's own output and dL/dy [B, C, h, w] are neither written nor
 * read: the pool's passes and the activation's backward are gone. The
 * results are the same bits as the two layers apart (test_train_layers.c,
 * batchnorm_fused_pool_same_bits). Why: the MNIST CNN's bn1+pool1 and
 * bn3+pool2 took 3.24 and 1.57 ms of a 30 ms step apart, 2.90 and 1.46
 * fused (thread CPU time, batch 64, 1 thread, AMD EPYC 'skx', medians of 9
 * alternating runs of `build/nn_layer_cputime jobs/mnist_cnn.ini 20`, with
 * and without train.fuse_layers=false; docs/cnn.md, "Fusion"). */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "layers/layers_internal.h"
#include "nn/core.h"

enum { P_GAMMA, P_BETA, P_MEAN, P_VAR };

/* Floats of l->ws per thread with an absorbed pool: a plane and the pool's
 * scratch, rounded to whole cache lines (on 14 x 14 planes, threads that
 * shared a line ran no faster on 2 cores than on 1). */
static size_t thread_scratch(const nn_layer *l)
{
    return nn_round16(2 * (size_t)l->in_shape.h * l->in_shape.w);
}

static int bn_setup(nn_layer *l, nn_error *err)
{
    const nn_layer_config *c = l->cfg;
    if (!(c->bn_momentum > 0 && c->bn_momentum <= 1) || !(c->bn_eps > 0))
        return nn_fail(err, NN_E_CONFIG, "[%s] momentum must be in (0, 1] and eps > 0", c->name);
    l->out_shape = l->in_shape;
    const uint64_t C = (uint64_t)l->in_shape.c, dims[1] = { C };
    nn_param *p = nn_layer_add_param(l, "gamma", 1, dims, NN_INIT_CONST, 0, C, C);
    p->fill = 1.0f;
    nn_layer_add_param(l, "beta", 1, dims, NN_INIT_ZEROS, 0, C, C);
    p = nn_layer_add_param(l, "running_mean", 1, dims, NN_INIT_ZEROS, 0, C, C);
    p->update = 0, p->state = 1;
    p = nn_layer_add_param(l, "running_var", 1, dims, NN_INIT_CONST, 0, C, C);
    p->update = 0, p->state = 1, p->fill = 1.0f;
    l->aux_size = 4 * (size_t)C + 1;
    /* should it absorb a max-pool: a plane and the pool's scratch per thread
     * (a 2 x 2 pool's 4 ho wo floats are at most h w) */
    l->ws_size = (size_t)l->threads * thread_scratch(l);
    return NN_OK;
}

/* Per channel c, over the batch: sums[c] = sum x             (center NULL)
 *                                          = sum (x - m_c)^2  (m = center)
 * in float within a plane, in double across planes (N reaches 10^5).
 * Channels are independent: the layer's threads take a share each, and the
 * sums are the same bits on any thread count. */
static void channel_sums(const nn_layer *l, const float *x, const float *center, int B, float *sums)
{
    const int C = l->in_shape.c;
    const size_t n = (size_t)l->in_shape.h * l->in_shape.w;
#pragma omp parallel for num_threads(l->threads) if ((size_t)B * C * n > NN_OMP_MIN)
    for (int c = 0; c < C; ++c) {
        double s = 0.0;
        for (int b = 0; b < B; ++b) {
            const float *xp = x + ((size_t)b * C + c) * n;
            float ps = 0.0f;
            if (center) {
                const float m = center[c];
#pragma omp simd reduction(+ : ps)
                for (size_t i = 0; i < n; ++i)
                    ps += (xp[i] - m) * (xp[i] - m);
            } else {
#pragma omp simd reduction(+ : ps)
                for (size_t i = 0; i < n; ++i)
                    ps += xp[i];
            }
            s += ps;
        }
        sums[c] = (float)s;
    }
}

/* dL/dz of plane q [h, w] into dz from the absorbed pool's gradient: the
 * pool's dy [ho, wo] through ReLU's mask (mask: on the first of the two
 * calls per plane, which leaves dy masked), taken at the pool's output
 * (relu'(z) at the argmax is [y_pool > 0]), routed to the argmax. What the
 * pool's backward and then the activation's did, in the same order of
 * additions (the same bits), into a plane in cache: dz is rebuilt in each
 * of backward's two passes rather than stored between them. */
static void grad_from_pool(const nn_layer *l, size_t q, float *dz, int mask)
{
    const nn_layer *pool = l->absorbed;
    const nn_pool_geom g = nn_pool_geometry(pool);
    float *restrict dy = pool->dout + q * g.out_plane; /* the pool's, ours to overwrite */
    const float *restrict y = pool->out + q * g.out_plane;
    if (mask && l->cfg->activation == NN_ACT_RELU)
#pragma omp simd
        for (size_t o = 0; o < g.out_plane; ++o)
            dy[o] = y[o] > 0.0f ? dy[o] : 0.0f;
    nn_maxpool_route_plane(&g, dy, nn_maxpool_argmax(pool, q), dz, 0);
}

/* Backward's first pass, per channel: dL/dz from dL/dy in place (the
 * activation's derivative, unless dy already is dL/dz), then the channel's
 * sums of dz and of dz (x - m_c), each plane's three steps while it is in
 * cache (one pass over dz where there were three: the derivative, then
 * each sum). */
static void backward_sums(const nn_layer *l, const float *x, const float *y, float *dz, int B,
                          int preact, float *sum_dz, float *sum_dzx)
{
    const int C = l->in_shape.c;
    const size_t n = (size_t)l->in_shape.h * l->in_shape.w;
    const float *mean = l->aux;
    const nn_activation act = preact || l->absorbed ? NN_ACT_LINEAR : l->cfg->activation;
#pragma omp parallel for num_threads(l->threads) if ((size_t)B * C * n > NN_OMP_MIN)
    for (int c = 0; c < C; ++c) {
        double s = 0.0, t = 0.0;
        const float m = mean[c];
        for (int b = 0; b < B; ++b) {
            const size_t at = ((size_t)b * C + c) * n;
            float *dp = l->absorbed ? l->ws + omp_get_thread_num() * thread_scratch(l) : dz + at;
            const float *xp = x + at;
            if (l->absorbed)
                grad_from_pool(l, (size_t)b * C + c, dp, 1);
            else if (act != NN_ACT_LINEAR) /* (softmax: done for the whole batch before) */
                nn_activation_backward(act, y + at, dp, 1, n);
            float ps = 0.0f, pt = 0.0f;
#pragma omp simd reduction(+ : ps)
            for (size_t i = 0; i < n; ++i)
                ps += dp[i];
#pragma omp simd reduction(+ : pt)
            for (size_t i = 0; i < n; ++i)
                pt += dp[i] * (xp[i] - m);
            s += ps;
            t += pt;
        }
        sum_dz[c] = (float)s;
        sum_dzx[c] = (float)t;
    }
}

static void sum_over_ranks(const nn_ctx *ctx, float *buf, size_t n)
{
    if (ctx->sum_floats)
        ctx->sum_floats(buf, n);
}

/* Training: batch mean and inverse standard deviation into aux, running
 * averages updated. */
static void batch_statistics(nn_layer *l, const float *x, int B, const nn_ctx *ctx)
{
    const int C = l->in_shape.c;
    float *mean = l->aux, *invstd = l->aux + C, *buf = l->aux + 2 * C;
    channel_sums(l, x, NULL, B, buf);
    buf[C] = (float)((size_t)B * l->in_shape.h * l->in_shape.w);
    sum_over_ranks(ctx, buf, (size_t)C + 1);
    const double N = buf[C];
    for (int c = 0; c < C; ++c)
        mean[c] = (float)(buf[c] / N);
    /* Two passes: sum of squares about the mean, not E[x^2] - E[x]^2, which
     * cancels badly when the mean is large. */
    channel_sums(l, x, mean, B, buf);
    sum_over_ranks(ctx, buf, (size_t)C);
    const float m = (float)l->cfg->bn_momentum;
    float *rm = l->params[P_MEAN].value, *rv = l->params[P_VAR].value;
    for (int c = 0; c < C; ++c) {
        const double var = buf[c] / N;
        invstd[c] = (float)(1.0 / sqrt(var + l->cfg->bn_eps));
        rm[c] = (1.0f - m) * rm[c] + m * mean[c];
        rv[c] = (1.0f - m) * rv[c] + m * (float)(N > 1 ? var * N / (N - 1) : var);
    }
}

/* Evaluation: the running averages give mean and invstd. */
static void running_statistics(nn_layer *l)
{
    const int C = l->in_shape.c;
    float *mean = l->aux, *invstd = l->aux + C;
    for (int c = 0; c < C; ++c) {
        mean[c] = l->params[P_MEAN].value[c];
        invstd[c] = (float)(1.0 / sqrt((double)l->params[P_VAR].value[c] + l->cfg->bn_eps));
    }
}

/* yp [n] = a xp + s, through ReLU when act is relu (the other activations
 * are the caller's). One function for the layer alone and for the layer
 * absorbing its pool, so that both compute the same bits. */
static inline void normalise_plane(nn_activation act, float a, float s, const float *restrict xp,
                                   float *restrict yp, size_t n)
{
    if (act == NN_ACT_RELU) {
#pragma omp simd
        for (size_t i = 0; i < n; ++i) {
            const float v = a * xp[i] + s;
            yp[i] = v > 0.0f ? v : 0.0f;
        }
        return;
    }
#pragma omp simd
    for (size_t i = 0; i < n; ++i)
        yp[i] = a * xp[i] + s;
}

/* Forward with the absorbed max-pool (see "A max-pool absorbed" above):
 * each plane of act(a x + s) [h, w] goes to this thread's scratch and its
 * window maxima and argmax straight into the pool's output and aux. */
static void forward_pooled(const nn_layer *l, const float *x, int B)
{
    const nn_layer *pool = l->absorbed;
    const nn_pool_geom g = nn_pool_geometry(pool);
    const int C = l->in_shape.c;
    const size_t n = g.in_plane;
    const float *mean = l->aux, *invstd = l->aux + C;
    const float *gamma = l->params[P_GAMMA].value, *beta = l->params[P_BETA].value;
#pragma omp parallel for num_threads(l->threads) if ((size_t)B * C * n > NN_OMP_MIN)
    for (long q = 0; q < (long)B * C; ++q) {
        const int c = (int)(q % C);
        const float a = gamma[c] * invstd[c], s = beta[c] - a * mean[c];
        float *plane = l->ws + omp_get_thread_num() * thread_scratch(l); /* [h, w], pool's */
        normalise_plane(l->cfg->activation, a, s, x + (size_t)q * n, plane, n);
        nn_maxpool_plane(&g, plane, pool->out + (size_t)q * g.out_plane,
                         nn_maxpool_argmax(pool, (size_t)q), plane + n);
    }
}

static void bn_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                       const nn_ctx *ctx)
{
    const float *x = inputs[0];
    const int C = l->in_shape.c;
    const size_t n = (size_t)l->in_shape.h * l->in_shape.w;
    if (ctx->training && !l->frozen)
        batch_statistics(l, x, B, ctx);
    else
        running_statistics(l);
    const float *mean = l->aux, *invstd = l->aux + C;
    const float *gamma = l->params[P_GAMMA].value, *beta = l->params[P_BETA].value;
    const nn_activation act = l->cfg->activation;
    if (l->absorbed) {
        forward_pooled(l, x, B);
        return;
    }
    /* y = act(a x + s) plane by plane, the activation while the plane is in
     * cache (softmax spans a whole sample: after the loop) */
#pragma omp parallel for num_threads(l->threads) if ((size_t)B * C * n > NN_OMP_MIN)
    for (long q = 0; q < (long)B * C; ++q) {
        const int c = (int)(q % C);
        const float a = gamma[c] * invstd[c], s = beta[c] - a * mean[c];
        float *yp = out + (size_t)q * n;
        normalise_plane(act, a, s, x + (size_t)q * n, yp, n);
        if (act != NN_ACT_RELU && act != NN_ACT_SOFTMAX)
            nn_activation_forward(act, yp, 1, n);
    }
    if (act == NN_ACT_SOFTMAX)
        nn_activation_forward(act, out, (size_t)B, l->out_dim);
}

static void bn_backward(nn_layer *l, const float *const *inputs, const float *out, float *dout,
                        float *const *dins, int B, const nn_ctx *ctx)
{
    const float *x = inputs[0];
    float *dx = dins[0];
    const int C = l->in_shape.c;
    const size_t n = (size_t)l->in_shape.h * l->in_shape.w;
    int preact = l->dout_is_preact;
    if (!preact && l->cfg->activation == NN_ACT_SOFTMAX) { /* over whole samples */
        nn_activation_backward(l->cfg->activation, out, dout, (size_t)B, l->out_dim);
        preact = 1;
    }
    const float *mean = l->aux, *invstd = l->aux + C, *gamma = l->params[P_GAMMA].value;
    float *buf = l->aux + 2 * C;                             /* [sum dz (C), sum dz x_hat (C)] */
    backward_sums(l, x, out, dout, B, preact, buf, buf + C); /* dz, its sums */
    for (int c = 0; c < C; ++c) {
        buf[C + c] *= invstd[c];
        l->params[P_BETA].grad[c] = buf[c];
        l->params[P_GAMMA].grad[c] = buf[C + c];
    }
    memset(l->params[P_MEAN].grad, 0, (size_t)C * sizeof(float));
    memset(l->params[P_VAR].grad, 0, (size_t)C * sizeof(float));
    if (!dx)
        return;
    double N = (double)B * n;
    const int batch_stats = ctx->training && !l->frozen;
    if (batch_stats) { /* the statistics depend on x too: global sums */
        buf[2 * C] = (float)N;
        sum_over_ranks(ctx, buf, 2 * (size_t)C + 1);
        N = buf[2 * C];
    }
    const int add = l->din_add[0];
#pragma omp parallel for num_threads(l->threads) if ((size_t)B * C * n > NN_OMP_MIN)
    for (long q = 0; q < (long)B * C; ++q) {
        const int c = (int)(q % C);
        const float *dz = dout + (size_t)q * n, *xp = x + (size_t)q * n;
        if (l->absorbed) { /* dz again, into this thread's plane */
            float *plane = l->ws + omp_get_thread_num() * thread_scratch(l);
            grad_from_pool(l, (size_t)q, plane, 0);
            dz = plane;
        }
        float *d = dx + (size_t)q * n;
        const float g = gamma[c] * invstd[c], m = mean[c], is = invstd[c];
        const float mdz = batch_stats ? (float)(buf[c] / N) : 0.0f;
        const float mdzx = batch_stats ? (float)(buf[C + c] / N) : 0.0f;
#pragma omp simd
        for (size_t i = 0; i < n; ++i) {
            const float xhat = (xp[i] - m) * is;
            const float v = g * (dz[i] - mdz - xhat * mdzx);
            d[i] = add ? d[i] + v : v;
        }
    }
}

/* A max-pool fed only by this layer, behind ReLU or no activation (the
 * maximum commutes with them): see "A max-pool absorbed" above. */
static int bn_absorbs(const nn_layer *l, const nn_layer *next)
{
    extern const nn_layer_ops nn_maxpool_ops;
    const nn_activation act = l->cfg->activation;
    return next->ops == &nn_maxpool_ops && (act == NN_ACT_RELU || act == NN_ACT_LINEAR);
}

const nn_layer_ops nn_batchnorm_ops = {
    .type = "batchnorm",
    .doc = "Batch normalization per channel (per feature for vectors): in training, "
           "`x_hat` uses the mean and variance of the global batch (summed over all "
           "ranks, so the result does not depend on the rank count) and updates running "
           "statistics; in evaluation it uses those. Parameters `gamma` (starts at 1), "
           "`beta` (0); `running_mean`, `running_var` are kept in checkpoints.",
    .min_inputs = 1,
    .max_inputs = 1,
    .has_params = 1,
    .has_activation = 1,
    .setup = bn_setup,
    .forward = bn_forward,
    .backward = bn_backward,
    .absorbs = bn_absorbs,
};
