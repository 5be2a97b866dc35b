/* Whole-dataset writes and reads (see h5array.h). */
#include "io/h5array.h"

#include <stdio.h>
#include <stdlib.h>

#include "io/h5util.h"

#define MAX_ELEMENTS (1ull << 28)

int nn_h5_write_array(hid_t fid, const char *file, const char *name, hid_t ftype, hid_t mtype,
                      int rank, const hsize_t *dims, const void *buf, nn_error *err)
{
    size_t elem = H5Tget_size(ftype);
    int empty = elem == 0;
    for (int i = 0; i < rank; i++)
        empty |= dims[i] == 0;
    /* Checksummed chunks; an empty dataset has nothing to protect and
     * cannot be chunked. */
    hid_t dcpl = empty ? H5P_DEFAULT : nn_h5_checked_dcpl(file, name, rank, dims, elem, err);
    if (dcpl < 0)
        return err ? err->code : NN_E_IO;
    int rc =
        nn_h5_write_dataset(fid, file, name, ftype, mtype, rank, dims, 0, dcpl, buf, NULL, err);
    if (!empty)
        nn_h5_close(&dcpl);
    return rc;
}

/* Shape of an open dataset, checked against rank and the element limit. */
static int shape_of(hid_t dset, const char *file, const char *name, int rank, hsize_t *dims,
                    nn_error *err)
{
    hid_t space = H5Dget_space(dset);
    int have = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    int rc = NN_OK;
    if (have != rank || H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
        rc = nn_fail(err, NN_E_FORMAT, "%s: %s has %d dimensions, expected %d", file, name, have,
                     rank);
    } else {
        unsigned long long n = 1;
        for (int i = 0; i < rank && n <= MAX_ELEMENTS; i++)
            n *= dims[i];
        if (n == 0 || n > MAX_ELEMENTS)
            rc = nn_fail(err, NN_E_FORMAT, "%s: %s has %llu elements (1 to %llu expected)", file,
                         name, n, MAX_ELEMENTS);
    }
    nn_h5_close(&space);
    return rc;
}

int nn_h5_read_array(hid_t fid, const char *file, const char *name, H5T_class_t want, hid_t mtype,
                     size_t elem, int rank, hsize_t *dims, void **buf, nn_error *err)
{
    *buf = NULL;
    int e = nn_h5_path_exists(fid, name);
    if (e <= 0)
        return nn_fail(err, NN_E_FORMAT, "%s: missing dataset %s", file, name);
    hid_t dset = H5Dopen2(fid, name, H5P_DEFAULT);
    if (dset < 0)
        return nn_h5_fail(err, NN_E_FORMAT, "%s: %s is not a dataset", file, name);
    hid_t type = H5Dget_type(dset);
    int rc = NN_OK;
    if (type < 0 || H5Tget_class(type) != want)
        rc = nn_fail(err, NN_E_FORMAT, "%s: %s is not %s", file, name,
                     want == H5T_INTEGER ? "an integer dataset" : "a floating-point dataset");
    if (!rc)
        rc = shape_of(dset, file, name, rank, dims, err);
    size_t n = 1;
    for (int i = 0; !rc && i < rank; i++)
        n *= (size_t)dims[i];
    if (!rc && !(*buf = nn_malloc(n * elem, err)))
        rc = NN_E_NOMEM;
    char what[300];
    snprintf(what, sizeof what, "dataset %s", name);
    if (!rc && H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *buf) < 0)
        rc = nn_h5_read_fail(err, NN_E_FORMAT, file, what);
    if (rc) {
        free(*buf);
        *buf = NULL;
    }
    nn_h5_close(&type);
    nn_h5_close(&dset);
    return rc;
}
