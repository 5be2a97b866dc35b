/* Writing nntrain's HDF5 data set files (layout in include/nn/dataset.h and
 * docs/dataset-format.md), atomically through nn_h5_save_atomic. */
#include "data/data_internal.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"

#define CHUNK_BYTES   (1u << 20) /* images per chunk: ~1 MiB (1024 32x32 glyphs, 16 photos) */
#define CHUNK_LABELS  65536      /* labels per chunk: 256 KiB */
#define DEFLATE_LEVEL 4          /* most of level 9's gain at a fraction of its time */
#define PHOTO_DEFLATE 1          /* colour photos shrink by ~20% at any level: the fastest */

enum { PLAIN = 0 }; /* else the deflate level */

/* A dataset of rank dims; when chunk0 > 0, chunked (chunk0 rows) with a
 * Fletcher32 checksum per chunk (checked on every read), compressed first
 * when deflate; contiguous otherwise. Labels are not compressed: a
 * class-sorted column would compress past what the reader accepts as a
 * plausible ratio (MAX_DEFLATE_RATIO in h5data.c). */
static int write_dataset(hid_t fid, const char *file, const char *name, hid_t ftype, hid_t mtype,
                         int rank, const hsize_t *dims, hsize_t chunk0, int deflate,
                         const void *buf, nn_error *err)
{
    char path[80];
    snprintf(path, sizeof path, "/%s", name);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int rc = dcpl < 0 ? nn_h5_fail(err, NN_E_IO, "%s: cannot describe %s", file, path) : NN_OK;
    if (!rc && chunk0 > 0) {
        hsize_t chunk[4];
        for (int d = 0; d < rank; d++)
            chunk[d] = dims[d];
        chunk[0] = chunk0 < dims[0] ? chunk0 : dims[0];
        if (H5Pset_chunk(dcpl, rank, chunk) < 0 ||
            (deflate && H5Pset_deflate(dcpl, (unsigned)deflate) < 0) || H5Pset_fletcher32(dcpl) < 0)
            rc = nn_h5_fail(err, NN_E_IO, "%s: cannot set up chunks for %s", file, path);
    }
    if (!rc)
        rc =
            nn_h5_write_dataset(fid, file, path, ftype, mtype, rank, dims, 0, dcpl, buf, NULL, err);
    nn_h5_close(&dcpl);
    return rc;
}

/* Fixed-length strings, as long as the longest (never variable-length: see
 * nn_h5_fixed_utf8). */
static int write_strings(hid_t fid, const char *file, const char *name, const char *const *s, int n,
                         nn_error *err)
{
    size_t width = 1;
    for (int i = 0; i < n; i++)
        width = strlen(s[i]) + 1 > width ? strlen(s[i]) + 1 : width;
    char *packed = nn_calloc((size_t)n, width, err);
    if (!packed)
        return NN_E_NOMEM;
    for (int i = 0; i < n; i++)
        memcpy(packed + (size_t)i * width, s[i], strlen(s[i]));
    hid_t str = nn_h5_fixed_utf8(width);
    hsize_t dims[1] = { (hsize_t)n };
    int rc = str < 0 ? nn_h5_fail(err, NN_E_IO, "%s: cannot create a string type", file)
                     : write_dataset(fid, file, name, str, str, 1, dims, 0, PLAIN, packed, err);
    nn_h5_close(&str);
    free(packed);
    return rc;
}

static int write_classes(hid_t fid, const char *file, const nn_dataset *d, nn_error *err)
{
    const char **names = nn_calloc((size_t)d->num_classes, sizeof *names, err);
    if (!names)
        return NN_E_NOMEM;
    for (int k = 0; k < d->num_classes; k++)
        names[k] = d->class_names[k];
    int rc = write_strings(fid, file, "classes", names, d->num_classes, err);
    free(names);
    return rc;
}

/* The training split's per-channel mean and std (gather units), which
 * training reads for `[data] normalize = dataset`: computed here, where
 * every split is final, so no writer can forget or mistake them. */
static int write_channel_stats(hid_t fid, const char *file, const nn_dataset *d, nn_error *err)
{
    double *mean = nn_calloc((size_t)d->c * 2, sizeof *mean, err);
    if (!mean)
        return NN_E_NOMEM;
    double *std = mean + d->c;
    nn_dataset_channel_stats(d, mean, std);
    hid_t g = H5Gopen2(fid, "train", H5P_DEFAULT);
    int rc = g < 0 ? nn_h5_fail(err, NN_E_IO, "%s: cannot open group /train", file) : NN_OK;
    if (!rc)
        rc = nn_h5_attr_write(g, file, "/train", "channel_mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                              (hsize_t)d->c, 0, mean, err);
    if (!rc)
        rc = nn_h5_attr_write(g, file, "/train", "channel_std", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                              (hsize_t)d->c, 0, std, err);
    nn_h5_close(&g);
    free(mean);
    return rc;
}

static int write_split(hid_t fid, const char *file, int s, const nn_h5data_contents *c,
                       nn_error *err)
{
    const nn_dataset *d = c->split[s];
    const char *split = nn_h5data_split_name(s);
    char name[64];
    hid_t g = H5Gcreate2(fid, split, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return nn_h5_fail(err, NN_E_IO, "%s: cannot create group /%s", file, split);
    H5Gclose(g);
    hsize_t idims[4] = { d->n, (hsize_t)d->c, (hsize_t)d->h, (hsize_t)d->w };
    if (d->c == 1) /* [N, H, W]: what h5py and MATLAB users expect of grey glyphs */
        idims[1] = (hsize_t)d->h, idims[2] = (hsize_t)d->w;
    snprintf(name, sizeof name, "%s/images", split);
    int rc = write_dataset(fid, file, name, H5T_STD_U8LE, H5T_NATIVE_UINT8, d->c == 1 ? 3 : 4,
                           idims, d->dim < CHUNK_BYTES ? CHUNK_BYTES / d->dim : 1,
                           d->c == 1 ? DEFLATE_LEVEL : PHOTO_DEFLATE, d->u8, err);
    hsize_t n[1] = { d->n };
    snprintf(name, sizeof name, "%s/labels", split);
    if (!rc)
        rc = write_dataset(fid, file, name, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, n, CHUNK_LABELS,
                           PLAIN, d->labels, err);
    snprintf(name, sizeof name, "%s/source", split);
    if (!rc && c->source[s])
        rc = write_dataset(fid, file, name, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, n, CHUNK_LABELS,
                           PLAIN, c->source[s], err);
    if (!rc && s == 0)
        rc = write_channel_stats(fid, file, d, err);
    return rc;
}

static int write_params(hid_t fid, const char *file, const nn_h5data_contents *c, nn_error *err)
{
    hid_t g = H5Gcreate2(fid, "preprocess", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = g < 0 ? nn_h5_fail(err, NN_E_IO, "%s: cannot create group /preprocess", file) : NN_OK;
    for (int i = 0; !rc && i < c->n_params; i++)
        rc = nn_h5_attr_write(g, file, "/preprocess", c->params[i].name, H5T_IEEE_F64LE,
                              H5T_NATIVE_DOUBLE, 1, 1, &c->params[i].value, err);
    nn_h5_close(&g);
    return rc;
}

static int fill(hid_t fid, const char *path, void *ctx, nn_error *err)
{
    const nn_h5data_contents *c = ctx;
    int rc = nn_h5_write_format(fid, path, NN_H5DATA_FORMAT, NN_H5DATA_VERSION, err);
    if (!rc)
        rc = nn_h5_attr_write_str(fid, path, "/", "nntrain_version", NN_VERSION, err);
    if (!rc)
        rc = nn_h5_attr_write_str(fid, path, "/", "description", c->description, err);
    if (!rc)
        rc = nn_h5_attr_write_str(fid, path, "/", "config", c->config_text, err);
    if (!rc)
        rc = write_classes(fid, path, c->split[0], err);
    if (!rc && c->n_sources > 0)
        rc = write_strings(fid, path, "sources", c->source_names, c->n_sources, err);
    if (!rc && c->n_params > 0)
        rc = write_params(fid, path, c, err);
    for (int s = 0; !rc && s < NN_H5DATA_SPLITS; s++)
        if (c->split[s] && c->split[s]->n > 0)
            rc = write_split(fid, path, s, c, err);
    return rc;
}

/* The contents must describe one consistent data set. */
static int check_contents(const char *path, const nn_h5data_contents *c, nn_error *err)
{
    const nn_dataset *t = c->split[0];
    if (!t || t->n == 0)
        return nn_fail(err, NN_E_STATE, "%s: no training samples to write", path);
    for (int s = 0; s < NN_H5DATA_SPLITS; s++) {
        const nn_dataset *d = c->split[s];
        if (!d || d->n == 0)
            continue;
        if (!d->u8 || !d->labels || !d->class_names || d->c != t->c || d->h != t->h ||
            d->w != t->w || d->num_classes != t->num_classes)
            return nn_fail(err, NN_E_STATE,
                           "%s: the %s split does not match the training split "
                           "(shape, classes, or pixels not stored as bytes)",
                           path, nn_h5data_split_name(s));
        for (size_t i = 0; i < d->n; i++)
            if (d->labels[i] < 0 || d->labels[i] >= d->num_classes ||
                (c->source[s] && (c->source[s][i] < 0 || c->source[s][i] >= c->n_sources)))
                return nn_fail(err, NN_E_STATE,
                               "%s: %s sample %zu has label %d or source out of "
                               "range",
                               path, nn_h5data_split_name(s), i, (int)d->labels[i]);
    }
    return NN_OK;
}

int nn_h5data_save(const char *path, const nn_h5data_contents *c, nn_error *err)
{
    int rc = check_contents(path, c, err);
    if (rc)
        return rc;
    size_t hint = 1u << 20;
    for (int s = 0; s < NN_H5DATA_SPLITS; s++)
        if (c->split[s])
            hint += c->split[s]->n * (c->split[s]->dim / 2 + 8); /* compressed glyphs */
    return nn_h5_save_atomic(path, hint, fill, (void *)c, err);
}
