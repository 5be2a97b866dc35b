/* Optimizers over the flat parameter buffer, and learning-rate schedules. */
#ifndef NN_OPTIM_H
#define NN_OPTIM_H

#include <stdint.h>

#include "nn/config.h"
#include "nn/network.h"

typedef struct nn_optimizer {
    nn_optimizer_kind kind;
    double momentum, beta1, beta2, eps, weight_decay;
    size_t n;
    float *m;        /* momentum velocity / Adam first moment, [n] (NULL for sgd) */
    float *v;        /* Adam second moment, [n] (NULL otherwise) */
} nn_optimizer;

int nn_optim_init(nn_optimizer *opt, const nn_train_config *tc, size_t n_params, nn_error *err);
void nn_optim_free(nn_optimizer *opt);

/* One update of net->params from net->grads at learning rate lr; t is the
 * 1-based update count (Adam's bias correction). Weight decay (L2, added to
 * the gradient) applies to parameters flagged decay. */
void nn_optim_step(nn_optimizer *opt, nn_network *net, double lr, int64_t t);

/* 1 when every x[0..n) is finite (neither NaN nor infinite), else 0. One
 * vectorised pass over the bits, so it holds under -ffinite-math-only too. */
int nn_floats_finite(const float *x, size_t n);

/* 1 when the optimizer state (m, v) holds only finite values. */
int nn_optim_state_finite(const nn_optimizer *opt);

/* Number of optimizer state buffers (0, 1 or 2) and their names ("m", "v"). */
int nn_optim_state_count(const nn_optimizer *opt);

/* Learning rate for a step: constant; step (lr * gamma^floor(epoch / step_epochs));
 * cosine (from lr down to min_lr over all steps of the run, per step). */
double nn_lr_at(const nn_train_config *tc, int64_t epoch, int64_t step, int64_t steps_per_epoch);

#endif
