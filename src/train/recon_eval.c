/* The autoencoder's loss and PSNR on a batch and on a whole data set. Like
 * nn_trainer_evaluate: rank r takes the r-th contiguous share, and the sums
 * are added over ranks, so the result does not depend on the rank count. */
#include <stdlib.h>
#include <string.h>

#include "nn/trainer.h"

int nn_trainer_is_recon(const nn_trainer *t) { return t->cfg.train.target == NN_TARGET_INPUT; }

void nn_trainer_batch_loss(const nn_trainer *t, const float *out, const float *x, const int32_t *y,
                           int B, float scale, float *dout, int *dout_is_preact, nn_loss_sums *sums)
{
    if (!nn_trainer_is_recon(t)) {
        nn_loss_eval(t->cfg.train.loss, out, y, B, (int)t->net.out_dim, scale, dout, dout_is_preact,
                     sums);
        return;
    }
    nn_recon_sums r = { 0, 0, 0 };
    nn_recon_loss_eval(out, x, B, t->net.out_dim, scale, dout, &r, NULL);
    if (dout_is_preact)
        *dout_is_preact = 0;
    sums->loss += r.loss;
    sums->count += r.count;
}

int nn_trainer_evaluate_recon(nn_trainer *t, const nn_dataset *d, nn_recon_sums *sums,
                              double *per_image, nn_error *err)
{
    const size_t P = (size_t)t->dist.size, r = (size_t)t->dist.rank;
    const size_t lo = d->n * r / P, hi = d->n * (r + 1) / P;
    const size_t chunk = (size_t)t->net.max_batch;
    size_t *idx = nn_malloc(chunk * sizeof *idx, err);
    int rc = nn_dist_vote(idx ? NN_OK : NN_E_NOMEM, err);
    if (rc) {
        free(idx);
        return rc;
    }
    nn_recon_sums local = { 0, 0, 0 };
    if (per_image) /* each rank fills its share; the sum over ranks is the whole */
        memset(per_image, 0, d->n * sizeof *per_image);
    for (size_t start = lo; start < hi; start += chunk) {
        size_t count = hi - start < chunk ? hi - start : chunk;
        for (size_t i = 0; i < count; ++i)
            idx[i] = start + i;
        nn_dataset_gather(d, idx, count, t->cfg.data.invert, t->x, NULL);
        const float *out = nn_network_forward(&t->net, t->x, (int)count);
        nn_recon_loss_eval(out, t->x, (int)count, t->net.out_dim, 1.0f, NULL, &local,
                           per_image ? per_image + start : NULL);
    }
    free(idx);
    double v[3] = { local.loss, local.psnr, local.count };
    nn_dist_sum_doubles(v, 3);
    if (per_image)
        nn_dist_sum_doubles(per_image, d->n);
    *sums = (nn_recon_sums){ v[0], v[1], v[2] };
    return NN_OK;
}

int nn_trainer_code_width(const nn_trainer *t)
{
    size_t w = t->net.in_dim;
    for (int i = 0; i < t->net.n_layers; ++i)
        if (t->net.layers[i].out_dim < w)
            w = t->net.layers[i].out_dim;
    return (int)w;
}
