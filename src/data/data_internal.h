/* Helpers shared by the data module's files; not part of the public API. */
#ifndef NN_DATA_INTERNAL_H
#define NN_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "nn/dataset.h"

/* Caps on what a file may announce. Anything beyond them is a corrupt or
 * hostile header, not a data set, and is refused before memory is sized. */
#define NN_DATA_MAX_SAMPLES (1ull << 31)
#define NN_DATA_MAX_SIDE    4096
#define NN_DATA_MAX_CLASSES 65536

/* *out = a * b; returns 0 when the product does not fit in size_t. */
static inline int nn_data_mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* A uint32 stored big- or little-endian. */
static inline uint32_t nn_data_rd32(const uint8_t *p, int big_endian)
{
    if (big_endian)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Allocate d->u8 (as_bytes) or d->f32, and d->labels, for d->n samples of
 * d->dim values. On failure nothing stays allocated. */
int nn_data_alloc_samples(nn_dataset *d, int as_bytes, nn_error *err);

/* Allocate d->class_names for d->num_classes classes named "0", "1", ... */
int nn_data_number_classes(nn_dataset *d, nn_error *err);

/* Check that path is a MAT v5 file (what MATLAB's save writes by default)
 * and its outer structure is sound: tagged elements that end exactly at the
 * end of the file, compressed ones inflating cleanly. Missing file: NN_E_IO;
 * v7.3 (HDF5), v4 and other files: NN_E_FORMAT. *max_values bounds how many
 * values any variable can really hold (each stored value takes at least a
 * byte), so a forged size is refused before matio allocates memory for it. */
int nn_mat5_check(const char *path, uint64_t *max_values, nn_error *err);

/* The header of variable k (0-based) of a v5 file: head [avail] holds the
 * first bytes of its miMATRIX content, which is length bytes long. A
 * numeric array must store exactly one value per element of its
 * dimensions, within the element (matio leaves the rest of its buffer
 * uninitialised otherwise). Other classes pass. */
int nn_mat5_check_var(const uint8_t *head, size_t avail, uint64_t length, int big_endian,
                      const char *path, int k, nn_error *err);

#endif
