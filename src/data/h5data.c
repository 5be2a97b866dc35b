/* Reading nntrain's HDF5 data set files (layout in include/nn/dataset.h and
 * docs/dataset-format.md). Every size is checked before memory is sized
 * from it: a forged or damaged header ends in a message, not a giant
 * allocation or a crash. */
#include "data/data_internal.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"

/* deflate cannot shrink data by more than about 1032:1, so a dataset that
 * claims more bytes than this times what it stores is forged or damaged
 * (HDF5 would silently return fill values for chunks that are missing). */
#define MAX_DEFLATE_RATIO 1100

const char *nn_h5data_split_name(int i)
{
    static const char *const names[NN_H5DATA_SPLITS] = { "train", "valid", "test" };
    return i >= 0 && i < NN_H5DATA_SPLITS ? names[i] : "?";
}

/* The splits present in the file, for messages ("train, test"). */
static void list_splits(hid_t fid, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < NN_H5DATA_SPLITS && used < len; i++)
        if (nn_h5_path_exists(fid, nn_h5data_split_name(i)) > 0)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                                     nn_h5data_split_name(i));
    if (!buf[0])
        snprintf(buf, len, "none");
}

/* Open dataset name and return its dims [rank] (1 <= rank <= 4). */
static int open_dataset(hid_t fid, const char *file, const char *name, hid_t *dset, int *rank,
                        hsize_t *dims, nn_error *err)
{
    *dset = -1;
    if (nn_h5_path_exists(fid, name) <= 0)
        return nn_fail(err, NN_E_FORMAT, "%s: no dataset /%s", file, name);
    *dset = H5Dopen2(fid, name, H5P_DEFAULT);
    if (*dset < 0)
        return nn_h5_fail(err, NN_E_FORMAT, "%s: /%s is not a dataset", file, name);
    hid_t space = H5Dget_space(*dset);
    int r = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    int rc = NN_OK;
    if (r < 1 || r > 4 || H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        rc =
            nn_fail(err, NN_E_FORMAT, "%s: /%s has %d dimensions (expected 1 to 4)", file, name, r);
    *rank = r;
    nn_h5_close(&space);
    if (rc)
        nn_h5_close(dset);
    return rc;
}

/* The dataset's stored type must be an integer of at most max_size bytes;
 * unsigned when want_unsigned. */
static int check_int_type(hid_t dset, const char *file, const char *name, size_t max_size,
                          int want_unsigned, nn_error *err)
{
    hid_t t = H5Dget_type(dset);
    int ok = t >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) <= max_size &&
             (!want_unsigned || H5Tget_sign(t) == H5T_SGN_NONE);
    nn_h5_close(&t);
    if (!ok)
        return nn_fail(err, NN_E_FORMAT, "%s: /%s must be %s integers of at most %zu bytes", file,
                       name, want_unsigned ? "unsigned" : "", max_size);
    return NN_OK;
}

/* Chunks the dataset should have, from its shape and chunk shape; 0 when
 * it is not chunked. */
static hsize_t chunks_expected(hid_t dset)
{
    hid_t dcpl = H5Dget_create_plist(dset), space = H5Dget_space(dset);
    hsize_t dims[4] = { 0 }, chunk[4] = { 0 }, n = 0;
    if (dcpl >= 0 && space >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED) {
        int rank = H5Sget_simple_extent_ndims(space);
        if (rank >= 1 && rank <= 4 && H5Pget_chunk(dcpl, rank, chunk) == rank &&
            H5Sget_simple_extent_dims(space, dims, NULL) == rank) {
            n = 1;
            for (int d = 0; d < rank; d++)
                n *= chunk[d] ? (dims[d] + chunk[d] - 1) / chunk[d] : 0;
        }
    }
    nn_h5_close(&space);
    nn_h5_close(&dcpl);
    return n;
}

/* Refuse a dataset whose data are not all stored (HDF5 would return fill
 * values for missing chunks) or that claims far more bytes than it stores
 * (see MAX_DEFLATE_RATIO), before its buffer is allocated. */
static int check_storage(hid_t dset, const char *file, const char *name, size_t bytes,
                         nn_error *err)
{
    hsize_t stored = H5Dget_storage_size(dset), want = chunks_expected(dset), have = 0;
    int complete;
    if (want > 0) { /* (H5Dget_space_status misreports compressed data) */
        hid_t space = H5Dget_space(dset);
        complete = space >= 0 && H5Dget_num_chunks(dset, space, &have) >= 0 && have == want;
        nn_h5_close(&space);
    } else {
        H5D_space_status_t status;
        complete = H5Dget_space_status(dset, &status) >= 0 && status == H5D_SPACE_STATUS_ALLOCATED;
    }
    if (!complete || stored == 0 || bytes / MAX_DEFLATE_RATIO > stored)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: /%s claims %zu bytes but stores %llu (damaged or "
                       "incomplete file)",
                       file, name, bytes, (unsigned long long)stored);
    return NN_OK;
}

/* Read /classes: K names of 1 to NN_CLASS_NAME_LEN - 1 characters. */
static int read_classes(hid_t fid, const char *file, nn_dataset *out, nn_error *err)
{
    hid_t dset, str = -1, space = -1;
    hsize_t dims[4] = { 0 };
    int rank = 0;
    int rc = open_dataset(fid, file, "classes", &dset, &rank, dims, err);
    if (rc)
        return rc;
    hid_t t = H5Dget_type(dset);
    /* Fixed-length strings only: HDF5 1.10.8 can loop forever reading the
     * global heap of a damaged file, where variable-length strings live. */
    int is_fstr = t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0;
    size_t width = is_fstr ? H5Tget_size(t) : 0;
    H5T_cset_t cset = is_fstr ? H5Tget_cset(t) : H5T_CSET_ASCII;
    nn_h5_close(&t);
    if (!is_fstr || width < 1 || width > 4096 || rank != 1 || dims[0] < 1 ||
        dims[0] > NN_DATA_MAX_CLASSES)
        rc = nn_fail(err, NN_E_FORMAT, "%s: /classes must be 1 to %d fixed-length strings", file,
                     NN_DATA_MAX_CLASSES);
    char *packed = rc ? NULL : nn_calloc(dims[0], width + 1, err);
    char *names[NN_DATA_MAX_CLASSES];
    if (!rc && !packed)
        rc = NN_E_NOMEM;
    if (!rc) {
        str = H5Tcopy(H5T_C_S1);
        if (str < 0 || H5Tset_size(str, width + 1) < 0 ||
            H5Tset_strpad(str, H5T_STR_NULLTERM) < 0 || H5Tset_cset(str, cset) < 0 ||
            H5Dread(dset, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, packed) < 0)
            rc = nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read /classes", file);
        for (hsize_t k = 0; !rc && k < dims[0]; k++)
            names[k] = packed + k * (width + 1);
    }
    if (!rc) {
        out->num_classes = (int)dims[0];
        rc = nn_data_number_classes(out, err);
    }
    for (int k = 0; !rc && k < out->num_classes; k++) {
        size_t len = names[k] ? strlen(names[k]) : 0;
        if (len == 0 || len >= NN_CLASS_NAME_LEN)
            rc = nn_fail(err, NN_E_FORMAT, "%s: /classes[%d] is %s (1 to %d characters)", file, k,
                         len ? "too long" : "empty", NN_CLASS_NAME_LEN - 1);
        else
            memcpy(out->class_names[k], names[k], len + 1);
    }
    free(packed);
    nn_h5_close(&space);
    nn_h5_close(&str);
    nn_h5_close(&dset);
    return rc;
}

/* /<split>/images: uint8 [N, H, W] or [N, C, H, W] within the caps. */
static int images_shape(hid_t dset, const char *file, const char *name, int rank,
                        const hsize_t *dims, nn_dataset *out, nn_error *err)
{
    int rc = check_int_type(dset, file, name, 1, 1, err);
    if (rc)
        return rc;
    if (rank != 3 && rank != 4)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: /%s must be [N, H, W] or [N, C, H, W] (it has %d "
                       "dimensions)",
                       file, name, rank);
    hsize_t c = rank == 4 ? dims[1] : 1, h = dims[rank - 2], w = dims[rank - 1];
    if (dims[0] < 1 || dims[0] > NN_DATA_MAX_SAMPLES || c < 1 || c > 64 || h < 1 ||
        h > NN_DATA_MAX_SIDE || w < 1 || w > NN_DATA_MAX_SIDE) {
        char shape[96];
        nn_h5_format_shape(shape, sizeof shape, rank, dims);
        return nn_fail(err, NN_E_FORMAT,
                       "%s: /%s has shape %s (N 1 to 2^31, C 1 to 64, sides 1 "
                       "to %d)",
                       file, name, shape, NN_DATA_MAX_SIDE);
    }
    out->n = (size_t)dims[0];
    out->c = (int)c;
    out->h = (int)h;
    out->w = (int)w;
    out->dim = (size_t)(c * h * w);
    return NN_OK;
}

/* Read the images into out->u8 and the labels into out->labels. */
static int read_samples(hid_t img, hid_t lab, const char *file, const char *split, nn_dataset *out,
                        nn_error *err)
{
    size_t bytes;
    if (!nn_data_mul(out->n, out->dim, &bytes))
        return nn_fail(err, NN_E_FORMAT, "%s: /%s/images is too large", file, split);
    char name[64];
    snprintf(name, sizeof name, "%s/images", split);
    int rc = check_storage(img, file, name, bytes, err);
    snprintf(name, sizeof name, "%s/labels", split);
    if (!rc)
        rc = check_storage(lab, file, name, out->n * sizeof(int32_t), err);
    if (!rc)
        rc = nn_data_alloc_samples(out, 1, err);
    snprintf(name, sizeof name, "dataset /%s/images", split);
    if (!rc && H5Dread(img, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->u8) < 0)
        rc = nn_h5_read_fail(err, NN_E_FORMAT, file, name);
    snprintf(name, sizeof name, "dataset /%s/labels", split);
    if (!rc && H5Dread(lab, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->labels) < 0)
        rc = nn_h5_read_fail(err, NN_E_FORMAT, file, name);
    for (size_t i = 0; !rc && i < out->n; i++)
        if (out->labels[i] < 0 || out->labels[i] >= out->num_classes)
            rc = nn_fail(err, NN_E_FORMAT, "%s: /%s/labels[%zu] = %d is not a class (0 to %d)",
                         file, split, i, (int)out->labels[i], out->num_classes - 1);
    return rc;
}

/* The split's images and labels; with_samples = 0 stops after the shapes. */
static int read_split(hid_t fid, const char *file, const char *split, int with_samples,
                      nn_dataset *out, nn_error *err)
{
    if (nn_h5_path_exists(fid, split) <= 0) {
        char have[64];
        list_splits(fid, have, sizeof have);
        return nn_fail(err, NN_E_FORMAT, "%s: no '%s' split in this data set (it has: %s)", file,
                       split, have);
    }
    char iname[64], lname[64];
    snprintf(iname, sizeof iname, "%s/images", split);
    snprintf(lname, sizeof lname, "%s/labels", split);
    hid_t img = -1, lab = -1;
    hsize_t idims[4] = { 0 }, ldims[4] = { 0 };
    int irank = 0, lrank = 0;
    int rc = open_dataset(fid, file, iname, &img, &irank, idims, err);
    if (!rc)
        rc = images_shape(img, file, iname, irank, idims, out, err);
    if (!rc)
        rc = open_dataset(fid, file, lname, &lab, &lrank, ldims, err);
    if (!rc)
        rc = check_int_type(lab, file, lname, 4, 0, err);
    if (!rc && (lrank != 1 || ldims[0] != idims[0]))
        rc = nn_fail(err, NN_E_FORMAT, "%s: /%s must be [N] with N = %llu, the number of images",
                     file, lname, (unsigned long long)idims[0]);
    if (!rc && with_samples)
        rc = read_samples(img, lab, file, split, out, err);
    nn_h5_close(&img);
    nn_h5_close(&lab);
    return rc;
}

static int load(nn_dataset *out, const char *path, const char *split, int with_samples,
                nn_error *err)
{
    memset(out, 0, sizeof *out);
    if (!split || (strcmp(split, "train") && strcmp(split, "valid") && strcmp(split, "test")))
        return nn_fail(err, NN_E_CONFIG, "%s: split must be train, valid or test", path);
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1;
    int rc = nn_h5_open_format(path, NN_H5DATA_FORMAT, NN_H5DATA_VERSION, NULL, &fid, err);
    if (!rc)
        rc = read_classes(fid, path, out, err);
    if (!rc)
        rc = read_split(fid, path, split, with_samples, out, err);
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    if (rc)
        nn_dataset_free(out);
    return rc;
}

int nn_h5data_load(nn_dataset *out, const char *path, const char *split, nn_error *err)
{
    return load(out, path, split, 1, err);
}

int nn_h5data_load_header(nn_dataset *out, const char *path, const char *split, nn_error *err)
{
    return load(out, path, split, 0, err);
}

int nn_h5data_read_params(const char *path, const char *const *names, double *values, int n,
                          nn_error *err)
{
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1, grp = -1;
    int rc = nn_h5_open_format(path, NN_H5DATA_FORMAT, NN_H5DATA_VERSION, NULL, &fid, err);
    if (!rc && nn_h5_path_exists(fid, "preprocess") <= 0)
        rc = nn_fail(err, NN_E_FORMAT,
                     "%s: no /preprocess group (the file does not say how its "
                     "glyphs were made)",
                     path);
    if (!rc && (grp = H5Gopen2(fid, "preprocess", H5P_DEFAULT)) < 0)
        rc = nn_h5_fail(err, NN_E_FORMAT, "%s: /preprocess is not a group", path);
    for (int i = 0; !rc && i < n; i++)
        rc = nn_h5_attr_read_scalar(grp, path, "/preprocess", names[i], H5T_FLOAT,
                                    H5T_NATIVE_DOUBLE, &values[i], err);
    nn_h5_close(&grp);
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    return rc;
}

/* A float64 attribute of c values on /train, checked before it is read. */
static int read_stat(hid_t grp, const char *path, const char *name, int c, double *out,
                     nn_error *err)
{
    if (H5Aexists(grp, name) <= 0)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: /train has no attribute %s (the file was made before nntrain stored "
                       "channel statistics: run nntrain prep again)",
                       path, name);
    hid_t a = H5Aopen(grp, name, H5P_DEFAULT);
    hid_t space = a < 0 ? -1 : H5Aget_space(a);
    hid_t type = a < 0 ? -1 : H5Aget_type(a);
    hsize_t n = 0;
    int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    int rc = NN_OK;
    if (rank != 1 || H5Sget_simple_extent_dims(space, &n, NULL) < 0 || n != (hsize_t)c ||
        type < 0 || H5Tget_class(type) != H5T_FLOAT)
        rc =
            nn_fail(err, NN_E_FORMAT,
                    "%s: /train attribute %s must hold %d floats (one per channel)", path, name, c);
    else if (H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0)
        rc = nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read /train attribute %s", path, name);
    nn_h5_close(&type);
    nn_h5_close(&space);
    nn_h5_close(&a);
    return rc;
}

int nn_h5data_read_channel_stats(const char *path, int c, double *mean, double *std, nn_error *err)
{
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1, grp = -1;
    int rc = nn_h5_open_format(path, NN_H5DATA_FORMAT, NN_H5DATA_VERSION, NULL, &fid, err);
    if (!rc && nn_h5_path_exists(fid, "train") <= 0)
        rc = nn_fail(err, NN_E_FORMAT, "%s: no /train group", path);
    if (!rc && (grp = H5Gopen2(fid, "train", H5P_DEFAULT)) < 0)
        rc = nn_h5_fail(err, NN_E_FORMAT, "%s: /train is not a group", path);
    if (!rc)
        rc = read_stat(grp, path, "channel_mean", c, mean, err);
    if (!rc)
        rc = read_stat(grp, path, "channel_std", c, std, err);
    nn_h5_close(&grp);
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    return rc;
}
