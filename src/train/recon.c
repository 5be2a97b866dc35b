/* Reconstruction loss and PSNR (see include/nn/recon.h). */
#include "nn/trainer.h"

#include <math.h>

#define MSE_FLOOR 1e-10 /* 10 log10(1 / 1e-10) = NN_PSNR_MAX_DB */

static double psnr_of_mse(double mse)
{
    return mse < MSE_FLOOR ? NN_PSNR_MAX_DB : -10.0 * log10(mse);
}

double nn_psnr(const float *x, const float *y, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) {
        double d = (double)x[i] - (double)y[i];
        s += d * d;
    }
    return psnr_of_mse(n ? s / (double)n : 0.0);
}

void nn_recon_loss_eval(const float *out, const float *target, int B, size_t D, float scale,
                        float *dout, nn_recon_sums *sums, double *psnr_out)
{
    /* d/dy of mean_k (y_k - x_k)^2 is 2 (y_k - x_k) / D */
    const float g = 2.0f * scale / (float)D;
    for (int r = 0; r < B; ++r) {
        const float *y = out + (size_t)r * D, *x = target + (size_t)r * D; /* [D] each */
        float *dy = dout ? dout + (size_t)r * D : NULL;
        double s = 0.0;
        for (size_t k = 0; k < D; ++k) {
            float d = y[k] - x[k];
            s += (double)d * d;
            if (dy)
                dy[k] = g * d;
        }
        double mse = s / (double)D;
        double p = psnr_of_mse(mse);
        sums->loss += mse;
        sums->psnr += p;
        if (psnr_out)
            psnr_out[r] = p;
    }
    sums->count += B;
}

int nn_recon_pick(const nn_dataset *d, size_t *idx, int max)
{
    const int K = d->num_classes;
    if (d->n == 0 || K < 1 || max < 1)
        return 0;
    const int cols = max < K ? max : K;
    int n = 0;
    for (int j = 0; j < cols; ++j) {
        const int32_t want = (int32_t)((long long)j * K / cols);
        for (size_t i = 0; i < d->n; ++i)
            if (d->labels[i] == want) {
                idx[n++] = i;
                break;
            }
    }
    return n;
}
