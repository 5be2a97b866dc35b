/* Loss and accuracy on a whole data set: rank r takes the r-th contiguous
 * share, runs it in chunks of the network's batch capacity, and the sums
 * are added over ranks (so the result does not depend on the rank count). */
#include <stdlib.h>

#include "trainer_internal.h"

nn_loss_sums nn_trainer_evaluate(nn_trainer *t, const nn_dataset *d)
{
    nn_loss_sums sums = { 0, 0, 0 };
    const size_t P = (size_t)t->dist.size, r = (size_t)t->dist.rank;
    const size_t lo = d->n * r / P, hi = d->n * (r + 1) / P;
    const size_t chunk = (size_t)t->net.max_batch;
    size_t idx[1024];
    for (size_t start = lo; start < hi; start += chunk) {
        size_t count = hi - start < chunk ? hi - start : chunk;
        /* Gather in pieces of the index buffer; the rows land consecutively. */
        for (size_t done = 0; done < count;) {
            size_t n = count - done < 1024 ? count - done : 1024;
            for (size_t i = 0; i < n; ++i)
                idx[i] = start + done + i;
            nn_dataset_gather(d, idx, n, t->cfg.data.invert, t->x + done * t->net.in_dim,
                              t->y + done);
            done += n;
        }
        const float *out = nn_network_forward(&t->net, t->x, (int)count);
        nn_loss_eval(t->cfg.train.loss, out, t->y, (int)count, (int)t->net.out_dim, 1.0f, NULL,
                     NULL, &sums);
    }
    double v[3] = { sums.loss, sums.correct, sums.count };
    nn_dist_sum_doubles(v, 3);
    sums.loss = v[0];
    sums.correct = v[1];
    sums.count = v[2];
    return sums;
}
