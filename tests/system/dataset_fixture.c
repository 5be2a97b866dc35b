/* Writes a small nntrain data set file (the layout `nntrain prep` writes)
 * of colour images for the system tests:
 *     dataset_fixture OUT.h5 N_TRAIN N_TEST C H W CLASSES SEED
 * Each class has its own mean colour per channel, plus a gradient that
 * differs by class and pixel noise, so a small network can learn the labels
 * in a few steps; labels cycle through the classes. The valid and test
 * splits hold the same N_TEST images (none when N_TEST is 0). OUT.mat
 * instead writes the N_TRAIN images of one channel as a MAT v5 file in the
 * NIST36 layout (train_data [N, H*W] doubles in [0, 1], train_labels
 * [N, CLASSES] one-hot), which nntrain loads as float32. Exit 0, or 1 with
 * a message. */
#include <matio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* One N x cols double variable of a MAT file. */
static int put_var(mat_t *m, const char *name, double *v, size_t n, size_t cols)
{
    size_t dims[2] = { n, cols };
    matvar_t *var =
        Mat_VarCreate(name, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, v, MAT_F_DONT_COPY_DATA);
    int rc = !var || Mat_VarWrite(m, var, MAT_COMPRESSION_NONE) != 0;
    Mat_VarFree(var);
    return rc;
}

/* d's images and labels as train_data and train_labels (column-major, as
 * MATLAB stores them). */
static int save_mat(const char *path, const nn_dataset *d)
{
    const size_t n = d->n, dim = d->dim, k = (size_t)d->num_classes;
    double *x = malloc(n * dim * sizeof *x), *y = calloc(n * k, sizeof *y);
    mat_t *m = x && y ? Mat_CreateVer(path, NULL, MAT_FT_MAT5) : NULL;
    int rc = !m;
    for (size_t i = 0; !rc && i < n; ++i) {
        for (size_t j = 0; j < dim; ++j)
            x[j * n + i] = d->u8[i * dim + j] / 255.0;
        y[(size_t)d->labels[i] * n + i] = 1;
    }
    if (!rc)
        rc = put_var(m, "train_data", x, n, dim) || put_var(m, "train_labels", y, n, k);
    if (m)
        Mat_Close(m);
    free(x), free(y);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr,
                "usage: dataset_fixture OUT.h5|OUT.mat N_TRAIN N_TEST C H W CLASSES SEED\n");
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
    const size_t len = strlen(argv[1]);
    if (len > 4 && strcmp(argv[1] + len - 4, ".mat") == 0) {
        int bad = c != 1 || save_mat(argv[1], &train);
        if (bad)
            fprintf(stderr, "dataset_fixture: cannot write %s (one channel only)\n", argv[1]);
        free(train.u8), free(train.labels), free(test.u8), free(test.labels), free(names);
        return bad;
    }
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
