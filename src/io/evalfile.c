/* Reading and writing eval_<split>.h5 (layout in include/nn/runfiles.h). */
#include "nn/runfiles.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5array.h"
#include "io/h5util.h"

#define NN_EVAL_FORMAT_VERSION 1

int nn_eval_alloc(nn_eval_result *r, int K, nn_error *err)
{
    memset(r, 0, sizeof *r);
    if (K < 1 || K > 100000)
        return nn_fail(err, NN_E_STATE, "evaluation: bad class count %d", K);
    r->num_classes = K;
    r->confusion = nn_calloc((size_t)K * K, sizeof *r->confusion, err);
    r->class_names = r->confusion ? nn_calloc((size_t)K, sizeof *r->class_names, err) : NULL;
    if (!r->class_names) {
        nn_eval_free(r);
        return NN_E_NOMEM;
    }
    for (int k = 0; k < K; k++)
        snprintf(r->class_names[k], sizeof r->class_names[k], "%d", k);
    return NN_OK;
}

void nn_eval_free(nn_eval_result *r)
{
    free(r->confusion);
    free(r->class_names);
    r->confusion = NULL;
    r->class_names = NULL;
}

double nn_eval_class_accuracy(const nn_eval_result *r, int k)
{
    const int K = r->num_classes;
    int64_t row = 0;
    for (int p = 0; p < K; p++)
        row += r->confusion[(size_t)k * K + p];
    return row ? (double)r->confusion[(size_t)k * K + k] / (double)row : NAN;
}

/* ---- writing ---------------------------------------------------------------- */

static int write_names(hid_t fid, const char *file, const nn_eval_result *r, nn_error *err)
{
    const int K = r->num_classes;
    hid_t str = nn_h5_fixed_utf8(sizeof r->class_names[0]);
    if (str < 0)
        return nn_h5_fail(err, NN_E_IO, "%s: cannot create a string type", file);
    hsize_t dims[1] = { (hsize_t)K };
    int rc = nn_h5_write_array(fid, file, "/class_names", str, str, 1, dims, r->class_names, err);
    H5Tclose(str);
    return rc;
}

/* The root attributes besides the format, for the writer and the reader. */
#define F(member, kind) NN_H5_FIELD(#member, nn_eval_result, member, kind)
static const nn_h5_field ATTRS[] = {
    F(split, NN_H5_TEXT),      F(checkpoint, NN_H5_TEXT), F(loss, NN_H5_DOUBLE),
    F(accuracy, NN_H5_DOUBLE), F(count, NN_H5_INT64),
};
#undef F
#define N_ATTRS ((int)(sizeof ATTRS / sizeof ATTRS[0]))

static int fill_eval(hid_t fid, const char *path, void *ctx, nn_error *err)
{
    const nn_eval_result *r = ctx;
    const int K = r->num_classes;
    int rc = nn_h5_write_format(fid, path, NN_EVAL_FORMAT, NN_EVAL_FORMAT_VERSION, err);
    if (!rc)
        rc = nn_h5_fields_write(fid, path, "/", ATTRS, N_ATTRS, r, err);
    hsize_t dims[2] = { (hsize_t)K, (hsize_t)K };
    if (!rc)
        rc = nn_h5_write_array(fid, path, "/confusion", H5T_STD_I64LE, H5T_NATIVE_INT64, 2, dims,
                               r->confusion, err);
    double *per = rc ? NULL : nn_malloc((size_t)K * sizeof *per, err);
    if (!rc && !per)
        rc = NN_E_NOMEM;
    if (!rc) {
        for (int k = 0; k < K; k++)
            per[k] = nn_eval_class_accuracy(r, k);
        rc = nn_h5_write_array(fid, path, "/per_class_accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                               1, dims, per, err);
    }
    free(per);
    if (!rc)
        rc = write_names(fid, path, r, err);
    return rc;
}

int nn_eval_save(const char *path, const nn_eval_result *r, nn_error *err)
{
    size_t hint = 8192 + (size_t)r->num_classes * r->num_classes * 8 + r->num_classes * 64;
    return nn_h5_save_atomic(path, hint, fill_eval, (void *)r, err);
}

/* ---- reading ---------------------------------------------------------------- */

static int read_dataset(hid_t fid, const char *file, const char *name, hid_t mtype, int rank,
                        const hsize_t *want, void *buf, nn_error *err)
{
    hid_t dset = H5Dopen2(fid, name, H5P_DEFAULT);
    hid_t space = dset < 0 ? -1 : H5Dget_space(dset);
    hsize_t have[2] = { 0, 0 };
    int rc = NN_OK;
    if (space < 0 || H5Sget_simple_extent_ndims(space) != rank ||
        H5Sget_simple_extent_dims(space, have, NULL) < 0 || have[0] != want[0] ||
        (rank == 2 && have[1] != want[1]))
        rc = nn_fail(err, NN_E_FORMAT, "%s: %s is missing or does not have %d classes", file, name,
                     (int)want[0]);
    else if (H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        char what[300];
        snprintf(what, sizeof what, "dataset %s", name);
        rc = nn_h5_read_fail(err, NN_E_FORMAT, file, what);
    }
    nn_h5_close(&space);
    nn_h5_close(&dset);
    return rc;
}

static int read_names(hid_t fid, const char *file, nn_eval_result *r, nn_error *err)
{
    hid_t dset = H5Dopen2(fid, "/class_names", H5P_DEFAULT);
    hid_t type = dset < 0 ? -1 : H5Dget_type(dset);
    int fixed = type >= 0 && H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0;
    nn_h5_close(&type);
    nn_h5_close(&dset);
    if (!fixed) /* variable-length strings: see nn_h5_fixed_utf8 */
        return nn_fail(err, NN_E_FORMAT, "%s: /class_names is missing or not fixed-length strings",
                       file);
    hid_t str = nn_h5_fixed_utf8(sizeof r->class_names[0]);
    hsize_t dims[1] = { (hsize_t)r->num_classes };
    int rc = read_dataset(fid, file, "/class_names", str, 1, dims, r->class_names, err);
    H5Tclose(str);
    for (int k = 0; k < r->num_classes; k++)
        r->class_names[k][sizeof r->class_names[k] - 1] = '\0';
    return rc;
}

/* Number of classes = rows of /confusion. */
static int read_class_count(hid_t fid, const char *file, int *K, nn_error *err)
{
    hid_t dset = H5Dopen2(fid, "/confusion", H5P_DEFAULT);
    hid_t space = dset < 0 ? -1 : H5Dget_space(dset);
    hsize_t dims[2] = { 0, 0 };
    int rc = NN_OK;
    if (space < 0 || H5Sget_simple_extent_ndims(space) != 2 ||
        H5Sget_simple_extent_dims(space, dims, NULL) < 0 || dims[0] != dims[1] || dims[0] < 1 ||
        dims[0] > 100000)
        rc = nn_fail(err, NN_E_FORMAT, "%s: /confusion is missing or not a square matrix", file);
    *K = (int)dims[0];
    nn_h5_close(&space);
    nn_h5_close(&dset);
    return rc;
}

static int read_eval(hid_t fid, const char *path, int version, void *ctx, nn_error *err)
{
    nn_eval_result *r = ctx;
    (void)version;
    int K = 0;
    int rc = read_class_count(fid, path, &K, err);
    if (!rc)
        rc = nn_eval_alloc(r, K, err);
    if (!rc) {
        hsize_t dims[2] = { (hsize_t)K, (hsize_t)K };
        rc = read_dataset(fid, path, "/confusion", H5T_NATIVE_INT64, 2, dims, r->confusion, err);
    }
    if (!rc)
        rc = read_names(fid, path, r, err);
    if (!rc)
        rc = nn_h5_fields_read(fid, path, "/", ATTRS, N_ATTRS, r, err);
    if (rc)
        nn_eval_free(r);
    return rc;
}

int nn_eval_load(const char *path, nn_eval_result *r, nn_error *err)
{
    memset(r, 0, sizeof *r);
    return nn_h5_load(path, NN_EVAL_FORMAT, NN_EVAL_FORMAT_VERSION, read_eval, r, err);
}

/* ---- printing ---------------------------------------------------------------- */

typedef struct pair {
    int64_t n;
    int t, p;
} pair;

static int by_count_desc(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    return (y->n > x->n) - (y->n < x->n);
}

void nn_eval_print(const nn_eval_result *r, FILE *f, int top)
{
    const int K = r->num_classes;
    fprintf(f, "%s: loss %.4f  accuracy %.4f  (%lld samples)\n", r->split, r->loss, r->accuracy,
            (long long)r->count);
    fprintf(f, "per-class accuracy:");
    for (int k = 0; k < K; k++)
        fprintf(f, "%s %s %.3f", k % 8 ? "" : "\n ", r->class_names[k],
                nn_eval_class_accuracy(r, k));
    fprintf(f, "\n");
    pair *pairs = malloc((size_t)K * K * sizeof *pairs);
    if (!pairs)
        return;
    int n = 0;
    for (int t = 0; t < K; t++)
        for (int p = 0; p < K; p++)
            if (t != p && r->confusion[(size_t)t * K + p] > 0)
                pairs[n++] = (pair){ r->confusion[(size_t)t * K + p], t, p };
    qsort(pairs, (size_t)n, sizeof *pairs, by_count_desc);
    fprintf(f, "most confused (true -> predicted: samples):");
    for (int i = 0; i < n && i < top; i++)
        fprintf(f, "%s %s -> %s: %lld", i % 5 ? "," : "\n ", r->class_names[pairs[i].t],
                r->class_names[pairs[i].p], (long long)pairs[i].n);
    fprintf(f, "%s\n", n ? "" : " none");
    free(pairs);
}
