/* The IDX reader: the input is an image file (first byte even) read with a
 * valid label file, or a label file (odd) read with a valid image file. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "nn/dataset.h"

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A valid partner: 2 images of 2x2, labels 0 and 1. */
    uint8_t images[16 + 8] = { 0 }, labels[8 + 2] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    be32(images, 0x803), be32(images + 4, 2), be32(images + 8, 2), be32(images + 12, 2);
    be32(labels, 0x801), be32(labels + 4, 2);
    const int fuzz_images = size > 0 && data[0] % 2 == 0;
    const char *img =
        fuzz_images ? fuzz_file("img", data, size) : fuzz_file("img", images, sizeof images);
    const char *lab =
        fuzz_images ? fuzz_file("lab", labels, sizeof labels) : fuzz_file("lab", data, size);
    nn_dataset d;
    nn_error err;
    if (nn_idx_load(&d, img, lab, &err) == NN_OK) {
        float x[64];
        int32_t y[4];
        size_t idx[1] = { d.n - 1 };
        if (d.dim <= 64)
            nn_dataset_gather(&d, idx, 1, 0, x, y);
        nn_dataset_free(&d);
    }
    return 0;
}
