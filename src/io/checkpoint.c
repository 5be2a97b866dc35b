/* HDF5 checkpoints: built in memory, written to "<path>.tmp", fsync'ed,
 * renamed over path (nn_h5_save_atomic); read back with shape checks. See
 * include/nn/checkpoint.h and docs/checkpoint-format.md for the layout. */
#include "nn/checkpoint.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"

#ifndef NN_VERSION
#define NN_VERSION "unknown"
#endif

#define PATH_LEN 4096 /* with room for ".tmp" */

/* ---- argument checks ------------------------------------------------------ */

/* A tensor name is a relative HDF5 path: components separated by single
 * '/', none empty, none "." or "..". A leading '/' is accepted. Writes
 * "/<name>" into full (the absolute dataset path). */
static int tensor_path(const char *file, const nn_named_tensor *t, char *full, size_t len,
                       nn_error *err)
{
    const char *name = t->name;
    if (memchr(name, '\0', NN_TENSOR_NAME_LEN) == NULL)
        return nn_fail(err, NN_E_STATE, "%s: tensor name '%.40s...' is not terminated within "
                       "%d characters", file, name, NN_TENSOR_NAME_LEN);
    const char *p = name[0] == '/' ? name + 1 : name;
    const char *why = NULL;
    if (*p == '\0')
        why = "it is empty";
    for (const char *c = p; !why && *c; ) {
        const char *end = strchr(c, '/');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        if (n == 0)
            why = "it has an empty path component";
        else if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            why = "it has a '.' or '..' component";
        else if (end && end[1] == '\0')
            why = "it ends with '/'";
        c = end ? end + 1 : c + n;
    }
    if (why)
        return nn_fail(err, NN_E_STATE, "%s: invalid tensor name '%s': %s", file, name, why);
    snprintf(full, len, "/%s", p);
    return NN_OK;
}

static int check_tensor(const char *file, const nn_named_tensor *t, nn_error *err)
{
    char full[NN_TENSOR_NAME_LEN + 2];
    int rc = tensor_path(file, t, full, sizeof full, err);
    if (rc)
        return rc;
    if (t->rank < 1 || t->rank > NN_TENSOR_MAX_RANK)
        return nn_fail(err, NN_E_STATE, "%s: tensor %s has rank %d, expected 1..%d", file,
                       t->name, t->rank, NN_TENSOR_MAX_RANK);
    for (int i = 0; i < t->rank; i++)
        if (t->dims[i] == 0)
            return nn_fail(err, NN_E_STATE, "%s: tensor %s has a zero dimension", file, t->name);
    if (!t->data)
        return nn_fail(err, NN_E_STATE, "%s: tensor %s has no data", file, t->name);
    return NN_OK;
}

static int check_save_args(const char *path, const nn_checkpoint *ck, nn_error *err)
{
    if (!path || !*path)
        return nn_fail(err, NN_E_STATE, "checkpoint save: no file name");
    if (strlen(path) + 5 > PATH_LEN)
        return nn_fail(err, NN_E_STATE, "%.64s...: file name too long", path);
    if (!ck || ck->n_tensors < 0 || (ck->n_tensors > 0 && !ck->tensors))
        return nn_fail(err, NN_E_STATE, "%s: no tensors given to save", path);
    for (int i = 0; i < ck->n_tensors; i++) {
        int rc = check_tensor(path, &ck->tensors[i], err);
        if (rc)
            return rc;
        /* exact duplicates; prefix clashes ("a/b" and "a/b/c") surface
         * from HDF5 while writing */
        for (int j = 0; j < i; j++)
            if (strcmp(ck->tensors[i].name, ck->tensors[j].name) == 0)
                return nn_fail(err, NN_E_STATE, "%s: tensor name '%s' appears twice", path,
                               ck->tensors[i].name);
    }
    return NN_OK;
}

/* ---- writing -------------------------------------------------------------- */

static int write_root_attrs(hid_t fid, const char *file, const nn_checkpoint *ck,
                            nn_error *err)
{
    unsigned maj, min, rel;
    char h5ver[64];
    if (H5get_libversion(&maj, &min, &rel) < 0)
        snprintf(h5ver, sizeof h5ver, "unknown");
    else
        snprintf(h5ver, sizeof h5ver, "%u.%u.%u", maj, min, rel);
    int version = NN_CKPT_FORMAT_VERSION;
    int rc;
#define ATTR(name, ft, mt, ptr)                                                            \
    do {                                                                                   \
        if ((rc = nn_h5_attr_write(fid, file, "/", name, ft, mt, 1, 1, ptr, err)))         \
            return rc;                                                                     \
    } while (0)
#define SATTR(name, value)                                                                 \
    do {                                                                                   \
        if ((rc = nn_h5_attr_write_str(fid, file, "/", name, value, err)))                 \
            return rc;                                                                     \
    } while (0)
    SATTR("format", NN_CKPT_FORMAT);
    ATTR("format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version);
    SATTR("nntrain_version", NN_VERSION);
    SATTR("hdf5_version", h5ver);
    ATTR("epoch", H5T_STD_I64LE, H5T_NATIVE_INT64, &ck->epoch);
    ATTR("step", H5T_STD_I64LE, H5T_NATIVE_INT64, &ck->step);
    ATTR("global_step", H5T_STD_I64LE, H5T_NATIVE_INT64, &ck->global_step);
    ATTR("seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &ck->seed);
    ATTR("world_size", H5T_STD_I32LE, H5T_NATIVE_INT, &ck->world_size);
    ATTR("lr", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &ck->lr);
    SATTR("config", ck->config_text);
    SATTR("config_path", ck->config_path);
#undef ATTR
#undef SATTR
    return NN_OK;
}

/* One float32 dataset (contiguous: read whole, never extended) with an
 * int64 "shape" attribute, for readers that look at attributes only. */
static int write_tensor(hid_t fid, const char *file, const nn_named_tensor *t, nn_error *err)
{
    char full[NN_TENSOR_NAME_LEN + 2];
    int rc = tensor_path(file, t, full, sizeof full, err);
    if (rc || (rc = nn_h5_make_parents(fid, file, full, err)))
        return rc;
    hsize_t dims[NN_TENSOR_MAX_RANK];
    int64_t shape[NN_TENSOR_MAX_RANK];
    for (int i = 0; i < t->rank; i++) {
        dims[i] = (hsize_t)t->dims[i];
        shape[i] = (int64_t)t->dims[i];
    }
    hid_t space = H5Screate_simple(t->rank, dims, NULL), dset = -1;
    if (space < 0) {
        rc = nn_h5_fail(err, NN_E_IO, "%s: cannot create the dataspace of %s", file, full);
        goto out;
    }
    dset = H5Dcreate2(fid, full, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (dset < 0) {
        rc = nn_h5_fail(err, NN_E_IO, "%s: cannot create dataset %s", file, full);
        goto out;
    }
    if (H5Dwrite(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data) < 0) {
        rc = nn_h5_fail(err, NN_E_IO, "%s: cannot write dataset %s", file, full);
        goto out;
    }
    rc = nn_h5_attr_write(dset, file, full, "shape", H5T_STD_I64LE, H5T_NATIVE_INT64,
                          (hsize_t)t->rank, 0, shape, err);
out:
    nn_h5_close(&dset);
    nn_h5_close(&space);
    return rc;
}

/* Fill the (in-memory) file: root attributes, then every tensor. */
static int fill_checkpoint(hid_t fid, const char *path, void *ctx, nn_error *err)
{
    const nn_checkpoint *ck = ctx;
    int rc = write_root_attrs(fid, path, ck, err);
    for (int i = 0; rc == NN_OK && i < ck->n_tensors; i++)
        rc = write_tensor(fid, path, &ck->tensors[i], err);
    return rc;
}

int nn_checkpoint_save(const char *path, const nn_checkpoint *ck, nn_error *err)
{
    int rc = check_save_args(path, ck, err);
    if (rc)
        return rc;
    /* data plus generous room for object headers, groups and strings */
    size_t bytes = 1u << 20;
    for (int i = 0; i < ck->n_tensors; i++) {
        size_t n = sizeof(float);
        for (int d = 0; d < ck->tensors[i].rank; d++)
            n *= (size_t)ck->tensors[i].dims[d];
        bytes += n + 4096;
    }
    bytes += ck->config_text ? strlen(ck->config_text) : 0;
    return nn_h5_save_atomic(path, bytes, fill_checkpoint, (void *)ck, err);
}

/* ---- reading -------------------------------------------------------------- */

static int read_tensor(hid_t fid, const char *file, nn_named_tensor *t, nn_error *err)
{
    char full[NN_TENSOR_NAME_LEN + 2];
    int rc = tensor_path(file, t, full, sizeof full, err);
    if (rc)
        return rc;
    if (t->rank < 1 || t->rank > NN_TENSOR_MAX_RANK || !t->data)
        return nn_fail(err, NN_E_STATE, "%s: tensor %s: bad rank %d or no buffer to read into",
                       file, t->name, t->rank);
    int e = nn_h5_path_exists(fid, full);
    if (e < 0)
        return nn_h5_fail(err, NN_E_FORMAT, "%s: cannot look up %s", file, full);
    if (e == 0)
        return nn_fail(err, NN_E_FORMAT, "%s: missing dataset %s", file, full);
    hid_t dset = -1, space = -1, type = -1;
    dset = H5Dopen2(fid, full, H5P_DEFAULT);
    if (dset < 0) {
        rc = nn_h5_fail(err, NN_E_FORMAT, "%s: %s is not a dataset", file, full);
        goto out;
    }
    space = H5Dget_space(dset);
    type = H5Dget_type(dset);
    if (space < 0 || type < 0) {
        rc = nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read the shape of %s", file, full);
        goto out;
    }
    hsize_t have[H5S_MAX_RANK], want[NN_TENSOR_MAX_RANK];
    int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0 || rank > H5S_MAX_RANK ||
        H5Sget_simple_extent_dims(space, have, NULL) < 0) {
        rc = nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read the shape of %s", file, full);
        goto out;
    }
    int same = rank == t->rank;
    for (int i = 0; i < t->rank; i++) {
        want[i] = (hsize_t)t->dims[i];
        same = same && have[i] == want[i];
    }
    if (!same) {
        char hs[128], ws[128];
        nn_h5_format_shape(hs, sizeof hs, rank, have);
        nn_h5_format_shape(ws, sizeof ws, t->rank, want);
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset %s has shape %s, expected %s", file, full,
                     hs, ws);
        goto out;
    }
    if (H5Tget_class(type) != H5T_FLOAT) {
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset %s is not floating point", file, full);
        goto out;
    }
    if (H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data) < 0)
        rc = nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read dataset %s", file, full);
out:
    nn_h5_close(&type);
    nn_h5_close(&space);
    nn_h5_close(&dset);
    return rc;
}

static int read_scalars(hid_t fid, const char *file, nn_checkpoint *ck, nn_error *err)
{
    int rc;
#define READ(name, cls, mt, ptr)                                                           \
    do {                                                                                   \
        if ((rc = nn_h5_attr_read_scalar(fid, file, "/", name, cls, mt, ptr, err)))        \
            return rc;                                                                     \
    } while (0)
    READ("epoch", H5T_INTEGER, H5T_NATIVE_INT64, &ck->epoch);
    READ("step", H5T_INTEGER, H5T_NATIVE_INT64, &ck->step);
    READ("global_step", H5T_INTEGER, H5T_NATIVE_INT64, &ck->global_step);
    READ("seed", H5T_INTEGER, H5T_NATIVE_UINT64, &ck->seed);
    READ("world_size", H5T_INTEGER, H5T_NATIVE_INT, &ck->world_size);
    READ("lr", H5T_FLOAT, H5T_NATIVE_DOUBLE, &ck->lr);
#undef READ
    return NN_OK;
}

/* Open a checkpoint read-only and check its format attributes. */
static int open_checkpoint(const char *path, hid_t *fid, nn_error *err)
{
    if (!path || !*path)
        return nn_fail(err, NN_E_STATE, "checkpoint load: no file name");
    int rc = nn_h5_open(path, H5F_ACC_RDONLY, fid, err);
    if (rc == NN_OK)
        rc = nn_h5_check_format(*fid, path, NN_CKPT_FORMAT, NN_CKPT_FORMAT_VERSION, NULL, err);
    if (rc != NN_OK)
        nn_h5_close(fid);
    return rc;
}

int nn_checkpoint_load(const char *path, nn_checkpoint *ck, nn_error *err)
{
    if (!ck || ck->n_tensors < 0 || (ck->n_tensors > 0 && !ck->tensors))
        return nn_fail(err, NN_E_STATE, "%s: no tensors to load into", path ? path : "?");
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1;
    int rc = open_checkpoint(path, &fid, err);
    for (int i = 0; rc == NN_OK && i < ck->n_tensors; i++)
        rc = read_tensor(fid, path, &ck->tensors[i], err);
    if (rc == NN_OK)
        rc = read_scalars(fid, path, ck, err);
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    return rc;
}

int nn_checkpoint_read_config(const char *path, char **config_text, nn_error *err)
{
    if (!config_text)
        return nn_fail(err, NN_E_STATE, "%s: nowhere to put the config text", path);
    *config_text = NULL;
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1;
    int rc = open_checkpoint(path, &fid, err);
    if (rc == NN_OK)
        rc = nn_h5_attr_read_str(fid, path, "/", "config", config_text, err);
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    return rc;
}

/* Shape of dataset /name into t (rank and dims); NN_E_FORMAT when missing. */
static int query_shape(hid_t fid, const char *file, nn_named_tensor *t, nn_error *err)
{
    char full[NN_TENSOR_NAME_LEN + 2];
    int rc = tensor_path(file, t, full, sizeof full, err);
    if (rc)
        return rc;
    int e = nn_h5_path_exists(fid, full);
    if (e <= 0)
        return nn_fail(err, NN_E_FORMAT, "%s: missing dataset %s", file, full);
    hid_t dset = H5Dopen2(fid, full, H5P_DEFAULT);
    hid_t space = dset < 0 ? -1 : H5Dget_space(dset);
    hsize_t dims[H5S_MAX_RANK];
    int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (rank < 1 || rank > NN_TENSOR_MAX_RANK || H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        rc = nn_fail(err, NN_E_FORMAT, "%s: %s is not a dataset of rank 1..%d", file, full,
                     NN_TENSOR_MAX_RANK);
    else {
        t->rank = rank;
        for (int i = 0; i < rank; i++)
            t->dims[i] = dims[i];
    }
    nn_h5_close(&space);
    nn_h5_close(&dset);
    return rc;
}

int nn_checkpoint_read_tensor(const char *path, const char *name, nn_named_tensor *out,
                              nn_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1;
    int rc = open_checkpoint(path, &fid, err);
    if (rc == NN_OK)
        rc = query_shape(fid, path, out, err);
    if (rc == NN_OK) {
        uint64_t n = 1;
        for (int i = 0; i < out->rank; i++)
            n *= out->dims[i];
        out->data = nn_malloc(n * sizeof(float), err);
        rc = out->data ? read_tensor(fid, path, out, err) : NN_E_NOMEM;
        if (rc) {
            free(out->data);
            out->data = NULL;
        }
    }
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    return rc;
}

int nn_checkpoint_load_matching(const char *path, nn_named_tensor *list, int n, int *status,
                                nn_named_tensor *found, nn_error *err)
{
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1;
    int rc = open_checkpoint(path, &fid, err);
    for (int i = 0; rc == NN_OK && i < n; i++) {
        memset(&found[i], 0, sizeof found[i]);
        memcpy(found[i].name, list[i].name, sizeof found[i].name);
        char full[NN_TENSOR_NAME_LEN + 2];
        rc = tensor_path(path, &list[i], full, sizeof full, err);
        if (rc)
            break;
        if (nn_h5_path_exists(fid, full) <= 0) {
            status[i] = NN_CKPT_MISSING;
            continue;
        }
        rc = query_shape(fid, path, &found[i], err);
        if (rc)
            break;
        int same = found[i].rank == list[i].rank;
        for (int d = 0; same && d < list[i].rank; d++)
            same = found[i].dims[d] == list[i].dims[d];
        status[i] = same ? NN_CKPT_COPIED : NN_CKPT_SHAPE;
        if (same)
            rc = read_tensor(fid, path, &list[i], err);
    }
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    return rc;
}
