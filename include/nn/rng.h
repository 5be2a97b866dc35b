/* Counter-based random numbers: every draw is a pure function of
 * (seed, stream, counter), so a random choice never depends on the rank, the
 * number of ranks or the order in which work is done. Streams separate uses
 * (initialisation of each parameter, the shuffle of each epoch, ...). */
#ifndef NN_RNG_H
#define NN_RNG_H

#include <stddef.h>
#include <stdint.h>

/* 64 random bits for (seed, stream, counter): splitmix64-style mixing of a
 * combined key; passes as independent for our purposes (init, shuffling). */
uint64_t nn_rng_bits(uint64_t seed, uint64_t stream, uint64_t counter);

/* The same draws in two halves, for loops over many counters of one
 * stream: nn_rng_bits(s, t, c) == nn_rng_bits_key(nn_rng_key(s, t), c). */
uint64_t nn_rng_key(uint64_t seed, uint64_t stream);
static inline uint64_t nn_rng_bits_key(uint64_t key, uint64_t counter)
{
    uint64_t z = key + counter * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* Uniform float in [0, 1) from 64 random bits (their top 24). */
static inline float nn_rng_to_unit(uint64_t bits)
{
    return (float)(bits >> 40) * (1.0f / 16777216.0f);
}

/* Uniform float in [0, 1) with 24 random bits. */
float nn_rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter);

/* A stream id from a text label and a number (e.g. ("init:fc1/W", 0)). */
uint64_t nn_rng_stream(const char *label, uint64_t number);

/* perm[0..n) = a uniformly random permutation of 0..n-1 determined by
 * (seed, stream) alone (Fisher-Yates driven by the counter-based draws). */
void nn_rng_permutation(uint64_t seed, uint64_t stream, size_t *perm, size_t n);

#endif
