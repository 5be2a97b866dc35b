/* Reading and writing recon_<split>.h5 (layout in include/nn/runfiles.h). */
#include "nn/runfiles.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5array.h"
#include "io/h5util.h"

#define NN_RECON_FORMAT_VERSION 1

void nn_recon_free(nn_recon_result *r)
{
    free(r->image_psnr);
    r->image_psnr = NULL;
}

/* The root attributes besides the format, for the writer and the reader. */
#define F(member, kind) NN_H5_FIELD(#member, nn_recon_result, member, kind)
static const nn_h5_field ATTRS[] = {
    F(split, NN_H5_TEXT),   F(checkpoint, NN_H5_TEXT), F(loss, NN_H5_DOUBLE),
    F(psnr, NN_H5_DOUBLE),  F(count, NN_H5_INT64),     F(code_width, NN_H5_INT64),
    F(params, NN_H5_INT64),
};
#undef F
#define N_ATTRS ((int)(sizeof ATTRS / sizeof ATTRS[0]))

static int fill_recon(hid_t fid, const char *path, void *ctx, nn_error *err)
{
    const nn_recon_result *r = ctx;
    int rc = nn_h5_write_format(fid, path, NN_RECON_FORMAT, NN_RECON_FORMAT_VERSION, err);
    if (!rc)
        rc = nn_h5_fields_write(fid, path, "/", ATTRS, N_ATTRS, r, err);
    hsize_t dims[1] = { (hsize_t)r->count };
    if (!rc && r->count > 0)
        rc = nn_h5_write_array(fid, path, "/psnr", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims,
                               r->image_psnr, err);
    return rc;
}

int nn_recon_save(const char *path, const nn_recon_result *r, nn_error *err)
{
    if (r->count < 0 || (r->count > 0 && !r->image_psnr))
        return nn_fail(err, NN_E_STATE, "%s: no per-image PSNR to save", path);
    return nn_h5_save_atomic(path, 8192 + (size_t)r->count * 8, fill_recon, (void *)r, err);
}

static int read_recon(hid_t fid, const char *path, int version, void *ctx, nn_error *err)
{
    nn_recon_result *r = ctx;
    (void)version;
    int rc = nn_h5_fields_read(fid, path, "/", ATTRS, N_ATTRS, r, err);
    hsize_t dims[1] = { 0 };
    if (!rc && r->count > 0)
        rc = nn_h5_read_array(fid, path, "/psnr", H5T_FLOAT, H5T_NATIVE_DOUBLE, sizeof(double), 1,
                              dims, (void **)&r->image_psnr, err);
    if (!rc && r->count > 0 && dims[0] != (hsize_t)r->count)
        rc = nn_fail(err, NN_E_FORMAT, "%s: /psnr has %llu values but count is %lld", path,
                     (unsigned long long)dims[0], (long long)r->count);
    if (rc)
        nn_recon_free(r);
    return rc;
}

int nn_recon_load(const char *path, nn_recon_result *r, nn_error *err)
{
    memset(r, 0, sizeof *r);
    return nn_h5_load(path, NN_RECON_FORMAT, NN_RECON_FORMAT_VERSION, read_recon, r, err);
}
