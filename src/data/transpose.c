/* In-place transposition of every image (EMNIST stores its glyphs
 * transposed relative to MNIST). */
#include "data/data_internal.h"

#include <string.h>

/* Swap elements a and b of an array of es-byte elements (1 or 4). */
static inline void swap_elems(unsigned char *p, size_t es, size_t a, size_t b)
{
    unsigned char t[4];
    memcpy(t, p + a * es, es);
    memcpy(p + a * es, p + b * es, es);
    memcpy(p + b * es, t, es);
}

/* Square image [side, side]: swap across the diagonal. */
static void transpose_square(unsigned char *img, size_t es, size_t side)
{
    for (size_t r = 0; r < side; r++)
        for (size_t c = r + 1; c < side; c++)
            swap_elems(img, es, r * side + c, c * side + r);
}

/* Rectangular image [h, w] -> [w, h] without scratch memory (this function
 * cannot fail): follow each permutation cycle once, from its smallest index.
 * Output element k = c*h + r takes input element r*w + c, which is
 * (k * w) mod (h*w - 1); the first and last elements stay put. The cycle
 * search is slow for big images, but no data set here has them. */
static void transpose_rect(unsigned char *img, size_t es, size_t h, size_t w)
{
    size_t m = h * w - 1;
    for (size_t start = 1; start < m; start++) {
        size_t k = (start * w) % m;
        while (k > start) /* not yet known to be the cycle's smallest */
            k = (k * w) % m;
        if (k < start)
            continue;
        /* Rotate the cycle: dst <- src, walking src = dst * w mod m. */
        unsigned char first[4];
        memcpy(first, img + start * es, es);
        size_t dst = start, src = (start * w) % m;
        while (src != start) {
            memcpy(img + dst * es, img + src * es, es);
            dst = src;
            src = (src * w) % m;
        }
        memcpy(img + dst * es, first, es);
    }
}

void nn_dataset_transpose(nn_dataset *d)
{
    unsigned char *base = d->u8 ? (unsigned char *)d->u8 : (unsigned char *)d->f32;
    size_t es = d->u8 ? 1 : sizeof(float);
    size_t h = (size_t)d->h, w = (size_t)d->w, plane = h * w;
    if (!base || plane <= 1)
        return;
    /* Channels are transposed one plane at a time: [n, c, h, w] -> [n, c, w, h]. */
    for (size_t p = 0; p < d->n * (size_t)d->c; p++) {
        unsigned char *img = base + p * plane * es;
        if (h == w)
            transpose_square(img, es, h);
        else
            transpose_rect(img, es, h, w);
    }
    d->h = (int)w;
    d->w = (int)h;
}
