/* Per-epoch metrics: one extendible, chunked 1-D dataset per field, with a
 * Fletcher32 checksum per chunk.
 *
 * The rows (a few dozen bytes per epoch) are kept in memory and every append
 * writes the whole file anew through nn_h5_save_atomic (in memory, then
 * tmp + fsync + rename). Compared with extending the datasets in place:
 * a crash or a full disk never leaves a damaged file (HDF5 1.10 has no
 * journal; an interrupted flush can lose everything), the file is never
 * held open, so h5dump/h5py can read it while training runs (HDF5 1.10
 * locks files open for writing), and a write error cannot strand a file
 * handle inside HDF5. The layout is the same. */
#include "nn/runfiles.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/h5util.h"

#define CHUNK_ROWS 64

typedef struct field {
    const char *name;
    size_t offset;     /* in nn_epoch_metrics */
    int is_int;        /* int64 (the epoch) rather than float64 */
    const char *about; /* "description" attribute, for h5dump readers */
} field;

static const field FIELDS[] = {
    { "epoch", offsetof(nn_epoch_metrics, epoch), 1, "epoch number (1-based)" },
    { "train_loss", offsetof(nn_epoch_metrics, train_loss), 0, "mean training loss" },
    { "train_acc", offsetof(nn_epoch_metrics, train_acc), 0, "training accuracy (0..1)" },
    { "valid_loss", offsetof(nn_epoch_metrics, valid_loss), 0,
      "mean validation loss (NaN: no validation set)" },
    { "valid_acc", offsetof(nn_epoch_metrics, valid_acc), 0,
      "validation accuracy (0..1; NaN: no validation set)" },
    { "lr", offsetof(nn_epoch_metrics, lr), 0, "learning rate at the end of the epoch" },
    { "seconds", offsetof(nn_epoch_metrics, seconds), 0,
      "wall time of the epoch in seconds (training + validation)" },
    { "samples_per_sec", offsetof(nn_epoch_metrics, samples_per_sec), 0,
      "training samples per second over all ranks" },
    { "valid_psnr", offsetof(nn_epoch_metrics, valid_psnr), 0,
      "mean validation PSNR in dB, images in [0,1] (NaN: not an autoencoder)" },
};
#define N_FIELDS ((int)(sizeof FIELDS / sizeof FIELDS[0]))
/* Fields from this index on were added later: files without them still
 * read, with NaN in those columns. */
#define FIRST_OPTIONAL 8

struct nn_metrics {
    char *path;
    nn_epoch_metrics *rows;
    size_t n, cap;
};

static hid_t file_type(const field *f) { return f->is_int ? H5T_STD_I64LE : H5T_IEEE_F64LE; }
static hid_t mem_type(const field *f) { return f->is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE; }

/* ---- writing ----------------------------------------------------------------- */

/* Dataset f holding column f of rows[0..n). */
static int write_field(hid_t fid, const char *path, const field *f, const nn_epoch_metrics *rows,
                       size_t n, nn_error *err)
{
    hsize_t dims = n, chunk = CHUNK_ROWS;
    hid_t dcpl = nn_h5_untimed(H5P_DATASET_CREATE), dset = -1;
    char *col = nn_malloc(n * 8 + 8, err); /* int64 or double per row */
    char name[64];
    snprintf(name, sizeof name, "/%s", f->name);
    int rc = NN_OK;
    if (!col)
        rc = NN_E_NOMEM;
    for (size_t r = 0; col && r < n; r++)
        memcpy(col + r * 8, (const char *)&rows[r] + f->offset, 8);
    if (!rc && (dcpl < 0 || H5Pset_chunk(dcpl, 1, &chunk) < 0 || H5Pset_fletcher32(dcpl) < 0))
        rc = nn_h5_fail(err, NN_E_IO, "%s: cannot set up dataset %s", path, name);
    if (!rc)
        rc = nn_h5_write_dataset(fid, path, name, file_type(f), mem_type(f), 1, &dims, 1, dcpl,
                                 n > 0 ? col : NULL, &dset, err);
    if (!rc)
        rc = nn_h5_attr_write_str(dset, path, f->name, "description", f->about, err);
    free(col);
    nn_h5_close(&dset);
    nn_h5_close(&dcpl);
    return rc;
}

static int fill_metrics(hid_t fid, const char *path, void *ctx, nn_error *err)
{
    const nn_metrics *m = ctx;
    int rc = nn_h5_write_format(fid, path, NN_METRICS_FORMAT, NN_METRICS_FORMAT_VERSION, err);
    for (int i = 0; rc == NN_OK && i < N_FIELDS; i++)
        rc = write_field(fid, path, &FIELDS[i], m->rows, m->n, err);
    return rc;
}

static int save(const nn_metrics *m, nn_error *err)
{
    size_t bytes = (size_t)N_FIELDS * (m->n * 8 + 4096) + 16384;
    return nn_h5_save_atomic(m->path, bytes, fill_metrics, (void *)m, err);
}

/* ---- reading ----------------------------------------------------------------- */

/* Check dataset i is 1-D, extendible and of the right kind; *rows receives
 * its length. */
static int check_field(hid_t dset, const char *path, const field *f, hsize_t *rows, nn_error *err)
{
    hid_t space = H5Dget_space(dset), type = H5Dget_type(dset);
    hsize_t dims[H5S_MAX_RANK], maxdims[H5S_MAX_RANK];
    int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    int rc = NN_OK;
    if (rank < 0 || type < 0) {
        rc = nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read the shape of /%s", path, f->name);
    } else if (rank != 1) {
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset /%s has %d dimensions, expected 1", path,
                     f->name, rank);
    } else if (H5Sget_simple_extent_dims(space, dims, maxdims) < 0) {
        rc = nn_h5_fail(err, NN_E_FORMAT, "%s: cannot read the shape of /%s", path, f->name);
    } else if (maxdims[0] != H5S_UNLIMITED) {
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset /%s is not extendible", path, f->name);
    } else if (H5Tget_class(type) != (f->is_int ? H5T_INTEGER : H5T_FLOAT)) {
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset /%s is not %s", path, f->name,
                     f->is_int ? "an integer" : "floating point");
    } else {
        *rows = dims[0];
    }
    nn_h5_close(&type);
    nn_h5_close(&space);
    return rc;
}

/* Read column f of an open file into rows (allocated on the first field,
 * when *n is still unknown: *n = -1). */
static int read_field(hid_t fid, const char *path, const field *f, nn_epoch_metrics **rows,
                      int64_t *n, nn_error *err)
{
    int e = nn_h5_path_exists(fid, f->name);
    if (e == 0 && f - FIELDS >= FIRST_OPTIONAL &&
        *n >= 0) { /* an older file: the column reads as NaN */
        const double nan = NAN;
        for (int64_t r = 0; r < *n; r++)
            memcpy((char *)&(*rows)[r] + f->offset, &nan, 8);
        return NN_OK;
    }
    if (e <= 0)
        return e < 0 ? nn_h5_fail(err, NN_E_FORMAT, "%s: cannot look up /%s", path, f->name)
                     : nn_fail(err, NN_E_FORMAT, "%s: missing dataset /%s", path, f->name);
    hid_t dset = H5Dopen2(fid, f->name, H5P_DEFAULT);
    if (dset < 0)
        return nn_h5_fail(err, NN_E_FORMAT, "%s: /%s is not a dataset", path, f->name);
    hsize_t len = 0;
    char *col = NULL;
    int rc = check_field(dset, path, f, &len, err);
    if (rc == NN_OK && *n >= 0 && len != (hsize_t)*n)
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset /%s has %llu rows but /%s has %lld", path,
                     f->name, (unsigned long long)len, FIELDS[0].name, (long long)*n);
    if (rc == NN_OK && *n < 0) {
        *n = (int64_t)len;
        if (!(*rows = nn_calloc(len ? len : 1, sizeof **rows, err)))
            rc = NN_E_NOMEM;
    }
    if (rc == NN_OK && !(col = nn_malloc(len * 8 + 8, err)))
        rc = NN_E_NOMEM;
    if (rc == NN_OK && len > 0 &&
        H5Dread(dset, mem_type(f), H5S_ALL, H5S_ALL, H5P_DEFAULT, col) < 0) {
        char what[96];
        snprintf(what, sizeof what, "dataset /%s", f->name);
        rc = nn_h5_read_fail(err, NN_E_FORMAT, path, what);
    }
    for (hsize_t r = 0; rc == NN_OK && r < len; r++)
        memcpy((char *)&(*rows)[r] + f->offset, col + r * 8, 8);
    free(col);
    H5Dclose(dset);
    return rc;
}

/* Read and check a whole metrics file (rows NULL-safe to free on error). */
static int read_file(const char *path, nn_epoch_metrics **rows, int64_t *count, nn_error *err)
{
    *rows = NULL;
    *count = -1;
    hid_t fid = -1;
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    int rc = nn_h5_open_format(path, NN_METRICS_FORMAT, NN_METRICS_FORMAT_VERSION, NULL, &fid, err);
    for (int i = 0; rc == NN_OK && i < N_FIELDS; i++)
        rc = read_field(fid, path, &FIELDS[i], rows, count, err);
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    if (rc != NN_OK) {
        free(*rows);
        *rows = NULL;
        *count = 0;
    }
    return rc;
}

/* ---- public -------------------------------------------------------------- */

void nn_metrics_close(nn_metrics *m)
{
    if (!m)
        return;
    free(m->rows);
    free(m->path);
    free(m);
}

int nn_metrics_open(nn_metrics **out, const char *path, int64_t keep_epochs, nn_error *err)
{
    *out = NULL;
    if (!path || !*path)
        return nn_fail(err, NN_E_STATE, "metrics: no file name");
    nn_metrics *m = nn_calloc(1, sizeof *m, err);
    if (!m)
        return NN_E_NOMEM;
    int rc = NN_OK;
    if (!(m->path = strdup(path)))
        rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory", path);
    struct stat st;
    if (rc == NN_OK && keep_epochs >= 0 && stat(path, &st) == 0) {
        /* resume: keep the leading rows up to the checkpoint's epoch
         * (rows are written in epoch order) */
        int64_t count = 0;
        rc = read_file(path, &m->rows, &count, err);
        m->cap = (size_t)count;
        while (rc == NN_OK && m->n < (size_t)count && m->rows[m->n].epoch <= keep_epochs)
            m->n++;
    } else if (rc == NN_OK && keep_epochs >= 0 && errno != ENOENT) {
        rc = nn_fail(err, NN_E_IO, "%s: %s", path, strerror(errno));
    }
    /* write at once: a new run replaces the old file, a resumed one drops
     * the rows after its checkpoint even if it never finishes an epoch */
    if (rc == NN_OK)
        rc = save(m, err);
    if (rc != NN_OK) {
        nn_metrics_close(m);
        return rc;
    }
    *out = m;
    return NN_OK;
}

int nn_metrics_append(nn_metrics *m, const nn_epoch_metrics *row, nn_error *err)
{
    if (!m || !row)
        return nn_fail(err, NN_E_STATE, "metrics: append to a file that is not open");
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : CHUNK_ROWS;
        nn_epoch_metrics *r = realloc(m->rows, cap * sizeof *r);
        if (!r)
            return nn_fail(err, NN_E_NOMEM, "%s: out of memory", m->path);
        m->rows = r;
        m->cap = cap;
    }
    m->rows[m->n++] = *row;
    int rc = save(m, err);
    if (rc != NN_OK)
        m->n--; /* the file still holds the rows before this one */
    return rc;
}

int nn_metrics_read(const char *path, nn_epoch_metrics **rows, int64_t *count, nn_error *err)
{
    *rows = NULL;
    *count = 0;
    if (!path || !*path)
        return nn_fail(err, NN_E_STATE, "metrics: no file name");
    int rc = read_file(path, rows, count, err);
    if (rc == NN_OK && *count == 0) {
        free(*rows);
        *rows = NULL;
    }
    return rc;
}
