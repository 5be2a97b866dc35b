/* Deterministic train/validation split. The permutation comes from a small
 * splitmix64 stream kept here so the data module needs no other module's
 * RNG: the same seed gives the same split on every rank and every machine. */
#include "data/data_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias: reject the few draws below
 * 2^64 mod bound. */
static uint64_t uniform_below(uint64_t *state, uint64_t bound)
{
    const uint64_t reject_below = (0 - bound) % bound;
    uint64_t r;
    do
        r = splitmix64(state);
    while (r < reject_below);
    return r % bound;
}

/* perm [n] = a Fisher-Yates shuffle of 0..n-1 drawn from seed. */
static void shuffle(size_t *perm, size_t n, uint64_t seed)
{
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)uniform_below(&state, i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

/* out = the samples of all whose pick[] equals want, in their original order. */
static int copy_picked(nn_dataset *out, const nn_dataset *all, const uint8_t *pick, uint8_t want,
                       size_t count, nn_error *err)
{
    *out = (nn_dataset){ .n = count,
                         .c = all->c,
                         .h = all->h,
                         .w = all->w,
                         .dim = all->dim,
                         .num_classes = all->num_classes };
    if (nn_data_alloc_samples(out, all->u8 != NULL, err))
        return err ? err->code : NN_E_NOMEM;
    if (nn_data_number_classes(out, err)) {
        nn_dataset_free(out);
        return err ? err->code : NN_E_NOMEM;
    }
    if (all->class_names)
        memcpy(out->class_names, all->class_names, (size_t)all->num_classes * NN_CLASS_NAME_LEN);
    const size_t dim = all->dim;
    size_t o = 0;
    for (size_t i = 0; i < all->n; i++) {
        if (pick[i] != want)
            continue;
        if (all->u8)
            memcpy(out->u8 + o * dim, all->u8 + i * dim, dim);
        else
            memcpy(out->f32 + o * dim, all->f32 + i * dim, dim * sizeof(float));
        out->labels[o++] = all->labels[i];
    }
    return NN_OK;
}

int nn_dataset_split(nn_dataset *train, nn_dataset *valid, const nn_dataset *all,
                     double valid_fraction, uint64_t seed, nn_error *err)
{
    memset(train, 0, sizeof *train);
    memset(valid, 0, sizeof *valid);
    if (!(valid_fraction > 0 && valid_fraction < 1)) /* also refuses NaN */
        return nn_fail(err, NN_E_CONFIG, "valid_fraction = %g: must be between 0 and 1",
                       valid_fraction);
    size_t n_valid = (size_t)llround(valid_fraction * (double)all->n);
    if (n_valid == 0 || n_valid >= all->n)
        return nn_fail(err, NN_E_CONFIG, "valid_fraction = %g of %zu samples leaves %s set empty",
                       valid_fraction, all->n, n_valid == 0 ? "the validation" : "the training");
    size_t *perm = nn_malloc(all->n * sizeof *perm, err); /* [n] */
    uint8_t *pick = nn_calloc(all->n, 1, err);            /* [n], 1 = validation */
    int rc = (perm && pick) ? NN_OK : (err ? err->code : NN_E_NOMEM);
    if (!rc) {
        /* The first n_valid entries of the permutation go to validation; both
         * sets keep the original sample order. */
        shuffle(perm, all->n, seed);
        for (size_t i = 0; i < n_valid; i++)
            pick[perm[i]] = 1;
        rc = copy_picked(valid, all, pick, 1, n_valid, err);
    }
    if (!rc)
        rc = copy_picked(train, all, pick, 0, all->n - n_valid, err);
    if (rc) {
        nn_dataset_free(train);
        nn_dataset_free(valid);
    }
    free(perm);
    free(pick);
    return rc;
}
