/* Loss and accuracy on a whole data set: rank r takes the r-th contiguous
 * share, runs it in chunks of the network's batch capacity, and the sums
 * are added over ranks (so the result does not depend on the rank count). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/trainer.h"

/* conf[y * K + argmax(out)] += 1 for each row. */
static void count_predictions(const float *out, const int32_t *y, size_t n, int K, double *conf)
{
    for (size_t r = 0; r < n; ++r) {
        const float *row = out + r * (size_t)K;
        int best = 0;
        for (int k = 1; k < K; ++k)
            if (row[k] > row[best])
                best = k;
        conf[(size_t)y[r] * K + best] += 1.0;
    }
}

nn_loss_sums nn_trainer_evaluate(nn_trainer *t, const nn_dataset *d, int64_t *confusion)
{
    const int K = (int)t->net.out_dim;
    double *conf = NULL;
    if (confusion) /* counts as doubles: exact up to 2^53, summed with one allreduce */
        conf = calloc((size_t)K * K + 3, sizeof *conf);
    if (confusion && !conf) { /* the ranks would disagree on the allreduce size */
        fprintf(stderr, "nntrain: out of memory for a %d x %d confusion matrix\n", K, K);
        nn_dist_abort(1);
    }
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
            nn_trainer_gather(t, d, idx, n, 0, t->x + done * t->net.in_dim, t->y + done);
            done += n;
        }
        const float *out = nn_network_forward(&t->net, t->x, (int)count);
        nn_trainer_batch_loss(t, out, t->x, t->y, (int)count, 1.0f, NULL, NULL, &sums);
        if (conf)
            count_predictions(out, t->y, count, K, conf);
    }
    double local[3] = { sums.loss, sums.correct, sums.count };
    double *v = conf ? conf + (size_t)K * K : local;
    const size_t n = conf ? (size_t)K * K + 3 : 3;
    memcpy(v, local, sizeof local);
    nn_dist_sum_doubles(conf ? conf : local, n);
    sums = (nn_loss_sums){ v[0], v[1], v[2] };
    if (conf)
        for (size_t i = 0; i < (size_t)K * K; ++i)
            confusion[i] = (int64_t)conf[i];
    free(conf);
    return sums;
}

int nn_trainer_eval_result(nn_trainer *t, const nn_dataset *d, const char *split,
                           const char *checkpoint, nn_eval_result *r, nn_error *err)
{
    int rc = nn_dist_vote(nn_eval_alloc(r, (int)t->net.out_dim, err), err);
    if (rc)
        return rc;
    nn_loss_sums s = nn_trainer_evaluate(t, d, r->confusion);
    snprintf(r->split, sizeof r->split, "%s", split);
    snprintf(r->checkpoint, sizeof r->checkpoint, "%s", checkpoint ? checkpoint : "");
    r->loss = s.count > 0 ? s.loss / s.count : NAN;
    r->accuracy = s.count > 0 ? s.correct / s.count : NAN;
    r->count = (int64_t)s.count;
    const int names = t->train.num_classes < r->num_classes ? t->train.num_classes : r->num_classes;
    for (int k = 0; k < names; ++k)
        snprintf(r->class_names[k], sizeof r->class_names[k], "%s", t->train.class_names[k]);
    return NN_OK;
}
