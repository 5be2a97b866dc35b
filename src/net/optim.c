/* SGD, momentum (PyTorch's form: v = mu v + g; w -= lr v) and Adam, all on
 * the flat buffers; L2 weight decay is added to the gradient of weights. */
#include "nn/network.h"

#include <math.h>
#include <string.h>

int nn_optim_init(nn_optimizer *opt, const nn_train_config *tc, size_t n_params, nn_error *err)
{
    memset(opt, 0, sizeof *opt);
    opt->kind = tc->optimizer;
    opt->momentum = tc->momentum;
    opt->beta1 = tc->beta1;
    opt->beta2 = tc->beta2;
    opt->eps = tc->eps;
    opt->weight_decay = tc->weight_decay;
    opt->n = n_params;
    if (opt->kind != NN_OPT_SGD && !(opt->m = nn_alloc_floats(n_params, err)))
        return err ? err->code : NN_E_NOMEM;
    if (opt->kind == NN_OPT_ADAM && !(opt->v = nn_alloc_floats(n_params, err))) {
        nn_optim_free(opt);
        return err ? err->code : NN_E_NOMEM;
    }
    return NN_OK;
}

void nn_optim_free(nn_optimizer *opt)
{
    nn_free_aligned(opt->m);
    nn_free_aligned(opt->v);
    opt->m = opt->v = NULL;
}

int nn_optim_state_count(const nn_optimizer *opt) { return (opt->m != NULL) + (opt->v != NULL); }

int nn_floats_finite(const float *x, size_t n)
{
    /* A float is NaN or infinite exactly when its exponent bits are all set. */
    const uint32_t exp = 0x7f800000u;
    uint32_t bad = 0;
#pragma omp simd reduction(| : bad)
    for (size_t i = 0; i < n; ++i) {
        uint32_t b;
        memcpy(&b, &x[i], sizeof b);
        bad |= (b & exp) == exp;
    }
    return !bad;
}

int nn_optim_state_finite(const nn_optimizer *opt)
{
    return (!opt->m || nn_floats_finite(opt->m, opt->n)) &&
           (!opt->v || nn_floats_finite(opt->v, opt->n));
}

/* 1 when the float's exponent bits are all set: NaN or infinite. */
static inline uint32_t not_finite(float x)
{
    const uint32_t exp = 0x7f800000u;
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return (b & exp) == exp;
}

/* Updates n values of one tensor (w, g, m, v point at the first);
 * returns nonzero when a value written is not finite. */
static uint32_t update_range(const nn_optimizer *opt, float *restrict w, const float *restrict g,
                             float *restrict m, float *restrict v, size_t n, float wd, float lr,
                             float c1, float c2)
{
    uint32_t bad = 0;
    switch (opt->kind) {
    case NN_OPT_SGD:
#pragma omp simd reduction(| : bad)
        for (size_t i = 0; i < n; ++i) {
            w[i] -= lr * (g[i] + wd * w[i]);
            bad |= not_finite(w[i]);
        }
        break;
    case NN_OPT_MOMENTUM: {
        const float mu = (float)opt->momentum;
#pragma omp simd reduction(| : bad)
        for (size_t i = 0; i < n; ++i) {
            m[i] = mu * m[i] + (g[i] + wd * w[i]);
            w[i] -= lr * m[i];
            bad |= not_finite(w[i]) | not_finite(m[i]);
        }
        break;
    }
    case NN_OPT_ADAM: {
        const float b1 = (float)opt->beta1, b2 = (float)opt->beta2, eps = (float)opt->eps;
#pragma omp simd reduction(| : bad)
        for (size_t i = 0; i < n; ++i) {
            float gi = g[i] + wd * w[i];
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            w[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
            bad |= not_finite(w[i]) | not_finite(m[i]) | not_finite(v[i]);
        }
        break;
    }
    }
    return bad;
}

/* Updates one tensor; returns nonzero when a value written is not finite.
 * Large tensors are split into chunks over the rank's threads: every value
 * is updated on its own, so the result is the same bits on any thread
 * count. (A 400k-parameter CNN's momentum step streams 8 MB, about 0.4 ms on
 * one thread; small tensors stay on one thread, where a parallel region
 * would cost more than it saves.) */
enum { UPDATE_CHUNK = 32768 };

static uint32_t update_tensor(const nn_optimizer *opt, const nn_param *p, float lr, float c1,
                              float c2)
{
    const size_t n = p->size;
    const float wd = p->decay ? (float)opt->weight_decay : 0.0f;
    float *w = p->value;
    const float *g = p->grad;
    float *m = opt->m ? opt->m + p->offset : NULL;
    float *v = opt->v ? opt->v + p->offset : NULL;
    const long chunks = (long)((n + UPDATE_CHUNK - 1) / UPDATE_CHUNK);
    uint32_t bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad) if (chunks > 1)
    for (long k = 0; k < chunks; ++k) {
        const size_t lo = (size_t)k * UPDATE_CHUNK;
        const size_t len = n - lo < UPDATE_CHUNK ? n - lo : UPDATE_CHUNK;
        bad |= update_range(opt, w + lo, g + lo, m ? m + lo : NULL, v ? v + lo : NULL, len, wd, lr,
                            c1, c2);
    }
    return bad;
}

int nn_optim_step(nn_optimizer *opt, nn_network *net, double lr, int64_t t)
{
    uint32_t bad = 0;
    /* Adam's bias corrections 1 - beta^t, computed once per step. */
    float c1 = 1.0f, c2 = 1.0f;
    if (opt->kind == NN_OPT_ADAM) {
        c1 = (float)(1.0 - pow(opt->beta1, (double)t));
        c2 = (float)(1.0 - pow(opt->beta2, (double)t));
    }
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        for (int k = 0; k < l->n_params; ++k)
            if (l->params[k].update) /* not frozen, not layer state */
                bad |= update_tensor(opt, &l->params[k], (float)lr, c1, c2);
            else /* batch-norm running statistics move in forward */
                bad |= !nn_floats_finite(l->params[k].value, l->params[k].size);
    }
    return !bad;
}

double nn_lr_at(const nn_train_config *tc, int64_t epoch, int64_t step, int64_t steps_per_epoch)
{
    switch (tc->schedule) {
    case NN_SCHED_CONSTANT: break;
    case NN_SCHED_STEP: return tc->lr * pow(tc->gamma, (double)(epoch / tc->step_epochs));
    case NN_SCHED_COSINE: {
        double total = (double)tc->epochs * (double)steps_per_epoch;
        double t = total > 0 ? ((double)epoch * steps_per_epoch + step) / total : 0.0;
        return tc->min_lr + (tc->lr - tc->min_lr) * 0.5 * (1.0 + cos(3.14159265358979323846 * t));
    }
    }
    return tc->lr;
}
