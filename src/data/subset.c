/* [data] limit: a seeded subset of the training set, stratified by class.
 *
 * Taking the first N samples would keep whole classes out of a file sorted
 * by class. Instead each class k of count[k] samples (out of n) keeps
 * quota[k] = floor(N count[k] / n) samples, and the N - sum(floor) left over
 * go one each to the classes with the largest remainders N count[k] mod n
 * (Hamilton's method), ties broken by a draw per class. So every class keeps
 * floor or ceil of its share of N, and a class with at least n / N samples
 * is never dropped. Within each class the samples are those that come first
 * in a permutation of all n drawn from the seed. Everything is drawn from
 * (seed, sample index, class), never from the rank: every rank keeps the same
 * subset whatever the number of ranks. */
#include "data/data_internal.h"

#include <stdlib.h>
#include <string.h>

#include "nn/core.h"

typedef struct class_rank {
    size_t cls;
    uint64_t remainder; /* N count[cls] mod n */
    uint64_t key;       /* tie-break draw */
} class_rank;

static int by_remainder_desc(const void *a, const void *b)
{
    const class_rank *x = a, *y = b;
    if (x->remainder != y->remainder)
        return x->remainder < y->remainder ? 1 : -1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->cls > y->cls) - (x->cls < y->cls);
}

static size_t class_of(const nn_dataset *d, size_t i, size_t K)
{
    if (!d->labels || d->labels[i] < 0 || (size_t)d->labels[i] >= K)
        return 0;
    return (size_t)d->labels[i];
}

/* quota [K] from count [K] (described above). */
static int class_quotas(const size_t *count, size_t K, size_t n, size_t limit, uint64_t seed,
                        size_t *quota, nn_error *err)
{
    class_rank *rank = nn_malloc(K * sizeof *rank, err); /* [K] */
    if (!rank)
        return err ? err->code : NN_E_NOMEM;
    const uint64_t stream = nn_rng_stream("limit:classes", 0);
    size_t given = 0;
    for (size_t k = 0; k < K; ++k) {
        unsigned __int128 share = (unsigned __int128)limit * count[k];
        quota[k] = (size_t)(share / n);
        given += quota[k];
        rank[k] = (class_rank){ k, (uint64_t)(share % n), nn_rng_bits(seed, stream, k) };
    }
    /* limit - given < K, and only classes with a non-zero remainder (so with
     * quota[k] < count[k]) can be among the first limit - given. */
    qsort(rank, K, sizeof *rank, by_remainder_desc);
    for (size_t j = 0; given < limit; ++j, ++given)
        quota[rank[j].cls]++;
    free(rank);
    return NN_OK;
}

/* Keep the samples marked in keep [n], in file order. */
static void compact(nn_dataset *d, const uint8_t *keep)
{
    const size_t dim = d->dim;
    size_t o = 0;
    for (size_t i = 0; i < d->n; ++i) {
        if (!keep[i])
            continue;
        if (o != i) {
            if (d->u8)
                memcpy(d->u8 + o * dim, d->u8 + i * dim, dim);
            if (d->f32)
                memcpy(d->f32 + o * dim, d->f32 + i * dim, dim * sizeof(float));
            if (d->labels)
                d->labels[o] = d->labels[i];
        }
        ++o;
    }
    d->n = o;
}

int nn_dataset_limit(nn_dataset *d, size_t limit, uint64_t seed, nn_error *err)
{
    if (limit == 0 || limit >= d->n)
        return NN_OK;
    const size_t n = d->n;
    const size_t K = d->labels && d->num_classes > 0 ? (size_t)d->num_classes : 1;
    size_t *count = nn_calloc(K, sizeof *count, err); /* [K] samples per class */
    size_t *quota = nn_calloc(K, sizeof *quota, err); /* [K] samples to keep */
    size_t *perm = nn_malloc(n * sizeof *perm, err);  /* [n] */
    uint8_t *keep = nn_calloc(n, 1, err);             /* [n] */
    int rc = count && quota && perm && keep ? NN_OK : (err ? err->code : NN_E_NOMEM);
    if (!rc) {
        for (size_t i = 0; i < n; ++i)
            count[class_of(d, i, K)]++;
        rc = class_quotas(count, K, n, limit, seed, quota, err);
    }
    if (!rc) {
        nn_rng_permutation(seed, nn_rng_stream("limit", 0), perm, n);
        for (size_t j = 0; j < n; ++j) {
            const size_t k = class_of(d, perm[j], K);
            if (quota[k] > 0) {
                quota[k]--;
                keep[perm[j]] = 1;
            }
        }
        compact(d, keep);
    }
    free(count);
    free(quota);
    free(perm);
    free(keep);
    return rc;
}
