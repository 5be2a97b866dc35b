/* Batch assembly: the hot path that turns stored samples into float32. */
#include "data/data_internal.h"

#include <assert.h>
#include <string.h>

/* x[j] = scale * src[j] + shift, a straight loop the compiler vectorises.
 * With scale = 1/255 and shift = 0 this is exactly src * (1/255.0f);
 * with -1/255 and 1 it is exactly 1 - src/255 (negation is exact). */
static void bytes_to_floats(float *restrict x, const uint8_t *restrict src, size_t n, float scale,
                            float shift)
{
    for (size_t j = 0; j < n; j++)
        x[j] = (float)src[j] * scale + shift;
}

static void floats_inverted(float *restrict x, const float *restrict src, size_t n)
{
    for (size_t j = 0; j < n; j++)
        x[j] = 1.0f - src[j];
}

/* Asks for the cache lines of one stored sample ahead of its use. A batch's
 * samples are scattered over the whole set (larger than the cache), so each
 * row would otherwise stall on memory as it is converted. With the rows two
 * samples ahead in flight, the homework MLP's gather fell from 8.1% to 4.0%
 * of the training process's cycles (`perf record` of bench/mlp_throughput.sh's
 * job for 200 epochs, AMD EPYC; one row ahead: 4.6%). */
static void prefetch_row(const void *row, size_t bytes)
{
    const char *p = row;
    for (size_t off = 0; off < bytes; off += 64)
        __builtin_prefetch(p + off, 0, 0);
}

void nn_dataset_gather(const nn_dataset *d, const size_t *idx, size_t count, int invert, float *x,
                       int32_t *y)
{
    const size_t dim = d->dim;
    const float scale = invert ? -1.0f / 255.0f : 1.0f / 255.0f;
    const float shift = invert ? 1.0f : 0.0f;
    assert(d->u8 || d->f32);
    const size_t row_bytes = dim * (d->u8 ? 1 : sizeof(float));
    const char *base = d->u8 ? (const char *)d->u8 : (const char *)d->f32;
    if (count > 1) /* the second row; the loop asks for the rest two ahead */
        prefetch_row(base + idx[1] * row_bytes, row_bytes);
    for (size_t i = 0; i < count; i++) {
        const size_t s = idx[i];
        if (i + 2 < count)
            prefetch_row(base + idx[i + 2] * row_bytes, row_bytes);
        float *xi = x + i * dim; /* [dim] */
        assert(s < d->n);
        if (d->u8)
            bytes_to_floats(xi, d->u8 + s * dim, dim, scale, shift);
        else if (invert)
            floats_inverted(xi, d->f32 + s * dim, dim);
        else
            memcpy(xi, d->f32 + s * dim, dim * sizeof(float));
        if (y)
            y[i] = d->labels[s];
    }
}
