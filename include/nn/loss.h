/* Losses on the network output [B, K] against integer labels. */
#ifndef NN_LOSS_H
#define NN_LOSS_H

#include <stdint.h>

#include "nn/config.h"

typedef struct nn_loss_sums {
    double loss;      /* sum of per-sample losses */
    double correct;   /* samples whose argmax equals the label */
    double count;     /* samples */
} nn_loss_sums;

/* Add the batch's loss and accuracy to *sums. When dout is not NULL also
 * write dL/d(output) [B, K] for L = scale * sum of per-sample losses
 * (scale = 1 / global batch, so gradients summed over ranks are the mean).
 * Cross-entropy requires a softmax output (p); it then writes the fused
 * gradient scale * (p - onehot) with respect to the softmax's input and sets
 * *dout_is_preact. MSE's per-sample loss is mean_k (y_k - onehot_k)^2. */
void nn_loss_eval(nn_loss_kind kind, const float *out, const int32_t *labels, int B, int K,
                  float scale, float *dout, int *dout_is_preact, nn_loss_sums *sums);

const char *nn_loss_name(nn_loss_kind kind);

#endif
