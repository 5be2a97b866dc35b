/* Which split each sample goes to, and which samples are written. Every
 * choice is a pure function of the seed and the sample (or its writer), so
 * the same config always gives the same file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/prep/prep_internal.h"

uint64_t prep_mix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double prep_uniform(uint64_t *state) { return (double)(prep_mix(state) >> 11) * 0x1.0p-53; }

uint64_t prep_hash(uint64_t seed, const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return prep_mix(&h);
}

void prep_assign_splits(const prep_config *cfg, prep_data *d)
{
    for (int i = 0; i < d->n_items; i++) {
        prep_item *it = &d->items[i];
        const prep_source *s = &cfg->src[it->source];
        if (s->split != PREP_SPLIT_AUTO) {
            it->split = s->split;
            continue;
        }
        /* One writer's samples share a key, so they land in one split and
         * validation and test measure writers the network never saw. */
        char key[NN_NAME_LEN + 96];
        const char *w = prep_item_writer(d, it);
        if (*w)
            snprintf(key, sizeof key, "%s/writer/%.60s", s->name, w);
        else
            snprintf(key, sizeof key, "%s/sample/%d", s->name, it->index);
        uint64_t h = prep_hash(cfg->seed, key);
        double u = prep_uniform(&h);
        it->split = u < cfg->test_fraction                         ? PREP_TEST
                    : u < cfg->test_fraction + cfg->valid_fraction ? PREP_VALID
                                                                   : PREP_TRAIN;
    }
}

/* Fisher-Yates shuffle of v [n] from state. */
static void shuffle_items(prep_item *v, int n, uint64_t *state)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(prep_uniform(state) * (i + 1));
        prep_item t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* Pick this class's items for split s into out [*n ...]. */
static void select_class(const prep_config *cfg, prep_item *have, int count, int s, uint64_t *state,
                         prep_item *out, int *n, int *shortfall)
{
    shuffle_items(have, count, state);
    if (s != PREP_TRAIN) {
        int keep =
            cfg->eval_per_class > 0 && count > cfg->eval_per_class ? cfg->eval_per_class : count;
        memcpy(out + *n, have, (size_t)keep * sizeof *have);
        *n += keep;
        return;
    }
    int want = cfg->per_class > 0 ? cfg->per_class : count;
    int keep = count < want ? count : want;
    for (int i = 0; i < keep; i++) {
        out[*n] = have[i];
        out[*n].augment = prep_uniform(state) < cfg->augment_prob ? 1 : 0;
        ++*n;
    }
    /* Too few samples: distorted copies, each original in turn. */
    long copies = (long)want - keep, most = (long)keep * cfg->augment_max;
    if (copies > most) {
        copies = most;
        ++*shortfall;
    }
    for (long j = 0; j < copies; j++) {
        out[*n] = have[j % keep];
        out[*n].augment = (uint32_t)(2 + j / keep);
        ++*n;
    }
}

int prep_select(const prep_config *cfg, const prep_data *d, int s, prep_item **out, int *n,
                int *shortfall, nn_error *err)
{
    *out = NULL;
    *n = 0;
    *shortfall = 0;
    size_t cap = 0;
    int *count = calloc((size_t)d->n_classes, sizeof *count);
    if (!count)
        return nn_fail(err, NN_E_NOMEM, "out of memory selecting samples");
    for (int i = 0; i < d->n_items; i++)
        if (d->items[i].split == s)
            count[d->items[i].label]++;
    for (int k = 0; k < d->n_classes; k++) {
        size_t room = (size_t)count[k];
        if (s == PREP_TRAIN && cfg->per_class > 0) {
            size_t most = (size_t)count[k] * (1 + (size_t)cfg->augment_max);
            room = (size_t)cfg->per_class < most ? (size_t)cfg->per_class : most;
        }
        cap += room;
    }
    prep_item *have = malloc(((size_t)d->n_items + 1) * sizeof *have);
    *out = malloc((cap + 1) * sizeof **out);
    if (!have || !*out) {
        free(have);
        free(*out);
        free(count);
        *out = NULL;
        return nn_fail(err, NN_E_NOMEM, "out of memory selecting samples");
    }
    for (int k = 0; k < d->n_classes; k++) {
        int m = 0;
        for (int i = 0; i < d->n_items; i++)
            if (d->items[i].split == s && d->items[i].label == k)
                have[m++] = d->items[i];
        if (m == 0)
            continue;
        char key[64];
        snprintf(key, sizeof key, "select/%d/%d", s, k);
        uint64_t state = prep_hash(cfg->seed, key);
        select_class(cfg, have, m, s, &state, *out, n, shortfall);
    }
    char key[32];
    snprintf(key, sizeof key, "order/%d", s);
    uint64_t state = prep_hash(cfg->seed, key);
    shuffle_items(*out, *n, &state); /* classes interleaved: [data] limit takes a fair share */
    free(have);
    free(count);
    return NN_OK;
}
