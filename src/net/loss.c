/* Cross-entropy (fused with softmax) and mean squared error. */
#include "nn/network.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

const char *nn_loss_name(nn_loss_kind kind)
{
    return kind == NN_LOSS_MSE ? "mse" : "cross_entropy";
}

static int argmax(const float *row, int K)
{
    int best = 0;
    for (int k = 1; k < K; ++k)
        if (row[k] > row[best])
            best = k;
    return best;
}

void nn_loss_eval(nn_loss_kind kind, const float *out, const int32_t *labels, int B, int K,
                  float scale, float *dout, int *dout_is_preact, nn_loss_sums *sums)
{
    double loss = 0.0, correct = 0.0;
    for (int r = 0; r < B; ++r) {
        const float *p = out + (size_t)r * K; /* [K] this sample's output */
        const int y = labels[r];
        correct += argmax(p, K) == y;
        float *g = dout ? dout + (size_t)r * K : NULL;
        if (kind == NN_LOSS_CROSS_ENTROPY) {
            /* p[y] can underflow to 0 for a hopeless sample; FLT_MIN caps that
             * sample's loss at about 87 instead of +inf. The cap must not
             * swallow NaN (fmaxf would return FLT_MIN): the sum of the row,
             * 1 for a sound softmax, is NaN or inf when any output is, and
             * then so is the loss, which is how divergence is detected. */
            float row = 0.0f;
            for (int k = 0; k < K; ++k)
                row += p[k];
            loss -= isfinite(row) ? log(fmaxf(p[y], FLT_MIN)) : (double)NAN;
            if (g) /* d(-log softmax_y)/dz_k = p_k - [k == y] */
                for (int k = 0; k < K; ++k)
                    g[k] = scale * (p[k] - (k == y ? 1.0f : 0.0f));
        } else {
            double s = 0.0;
            for (int k = 0; k < K; ++k) {
                float d = p[k] - (k == y ? 1.0f : 0.0f);
                s += (double)d * d;
                if (g)
                    g[k] = scale * 2.0f * d / (float)K;
            }
            loss += s / K;
        }
    }
    if (dout_is_preact)
        *dout_is_preact = (kind == NN_LOSS_CROSS_ENTROPY);
    sums->loss += loss;
    sums->correct += correct;
    sums->count += B;
}
