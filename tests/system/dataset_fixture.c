/* Writes a small nntrain data set file (the layout `nntrain prep` writes)
 * of colour images for the system tests:
 *     dataset_fixture OUT.h5 N_TRAIN N_TEST C H W CLASSES SEED
 * Each class has its own mean colour per channel, plus a gradient that
 * differs by class and pixel noise, so a small network can learn the labels
 * in a few steps; labels cycle through the classes. The valid and test
 * splits hold the same N_TEST images (none when N_TEST is 0). Exit 0, or 1
 * with a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/dataset.h"

static uint64_t state;

static uint32_t next_u32(void)
{
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(state >> 33);
}

static int fill(nn_dataset *d, size_t n, int c, int h, int w, int k, char (*names)[32])
{
    *d = (nn_dataset){ .n = n, .c = c, .h = h, .w = w, .dim = (size_t)c * h * w };
    d->u8 = malloc(n * d->dim);
    d->labels = malloc(n * sizeof *d->labels);
    if (!d->u8 || !d->labels)
        return 1;
    d->num_classes = k;
    d->class_names = names;
    for (size_t i = 0; i < n; ++i) {
        const int y = (int)(i % (size_t)k);
        d->labels[i] = y;
        uint8_t *px = d->u8 + i * d->dim;
        for (int ch = 0; ch < c; ++ch)
            for (int r = 0; r < h; ++r)
                for (int col = 0; col < w; ++col) {
                    const int mean = 40 + (y * 37 + ch * 61) % 170;
                    const int slope = ((y + ch) % 3 - 1) * (r + col) * 40 / (h + w);
                    const int v = mean + slope + (int)(next_u32() % 41) - 20;
                    px[((size_t)ch * h + r) * w + col] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: dataset_fixture OUT.h5 N_TRAIN N_TEST C H W CLASSES SEED\n");
        return 1;
    }
    const size_t n_train = strtoul(argv[2], NULL, 10), n_test = strtoul(argv[3], NULL, 10);
    const int c = atoi(argv[4]), h = atoi(argv[5]), w = atoi(argv[6]), k = atoi(argv[7]);
    state = strtoull(argv[8], NULL, 10);
    if (n_train < 1 || c < 1 || h < 1 || w < 1 || k < 1 || k > 256) {
        fprintf(stderr, "dataset_fixture: bad sizes\n");
        return 1;
    }
    char(*names)[32] = calloc((size_t)k, sizeof *names);
    nn_dataset train, test = { 0 };
    if (!names || fill(&train, n_train, c, h, w, k, names) ||
        (n_test && fill(&test, n_test, c, h, w, k, names))) {
        fprintf(stderr, "dataset_fixture: out of memory\n");
        return 1;
    }
    for (int i = 0; i < k; ++i)
        snprintf(names[i], sizeof names[i], "class%d", i);
    nn_h5data_contents contents = { .split = { &train, n_test ? &test : NULL,
                                               n_test ? &test : NULL },
                                    .description = "dataset_fixture: synthetic colour images" };
    nn_error err = { 0 };
    int rc = nn_h5data_save(argv[1], &contents, &err);
    if (rc)
        fprintf(stderr, "dataset_fixture: %s\n", err.msg);
    free(train.u8), free(train.labels), free(test.u8), free(test.labels), free(names);
    return rc ? 1 : 0;
}
