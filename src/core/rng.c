#include "nn/core.h"

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t nn_rng_key(uint64_t seed, uint64_t stream)
{
    uint64_t k = mix64(seed + 0x9e3779b97f4a7c15ULL);
    return mix64(k ^ (stream + 0x632be59bd9b4e019ULL));
}

uint64_t nn_rng_bits(uint64_t seed, uint64_t stream, uint64_t counter)
{
    /* Two rounds of mixing over a key folded from seed and stream, a third
     * with the counter; the golden-ratio increments keep (s, t, c) and
     * (s, t, c+1) far apart. */
    return nn_rng_bits_key(nn_rng_key(seed, stream), counter);
}

float nn_rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter)
{
    return nn_rng_to_unit(nn_rng_bits(seed, stream, counter));
}

uint64_t nn_rng_stream(const char *label, uint64_t number)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a over the label */
    for (const unsigned char *p = (const unsigned char *)label; *p; ++p)
        h = (h ^ *p) * 0x100000001b3ULL;
    return mix64(h ^ mix64(number));
}

void nn_rng_permutation(uint64_t seed, uint64_t stream, size_t *perm, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        perm[i] = i;
    for (size_t i = n; i > 1; --i) {
        /* Lemire's multiply-shift maps 64 random bits onto [0, i) with a
         * bias below 2^-32 for any n we can hold in memory. */
        uint64_t r = nn_rng_bits(seed, stream, i);
        size_t j = (size_t)(((unsigned __int128)r * i) >> 64);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}
