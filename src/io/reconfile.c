/* Reading and writing recon_<split>.h5 (layout in include/nn/reconfile.h). */
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

static int put_double(hid_t fid, const char *path, const char *name, const double *v,
                      nn_error *err)
{
    return nn_h5_attr_write(fid, path, "/", name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 1, v, err);
}

static int put_int64(hid_t fid, const char *path, const char *name, const int64_t *v,
                     nn_error *err)
{
    return nn_h5_attr_write(fid, path, "/", name, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, 1, v, err);
}

static int fill_recon(hid_t fid, const char *path, void *ctx, nn_error *err)
{
    const nn_recon_result *r = ctx;
    int version = NN_RECON_FORMAT_VERSION;
    int rc = nn_h5_attr_write_str(fid, path, "/", "format", NN_RECON_FORMAT, err);
    if (!rc)
        rc = nn_h5_attr_write(fid, path, "/", "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, 1,
                              1, &version, err);
    if (!rc)
        rc = nn_h5_attr_write_str(fid, path, "/", "split", r->split, err);
    if (!rc)
        rc = nn_h5_attr_write_str(fid, path, "/", "checkpoint", r->checkpoint, err);
    if (!rc)
        rc = put_double(fid, path, "loss", &r->loss, err);
    if (!rc)
        rc = put_double(fid, path, "psnr", &r->psnr, err);
    if (!rc)
        rc = put_int64(fid, path, "count", &r->count, err);
    if (!rc)
        rc = put_int64(fid, path, "code_width", &r->code_width, err);
    if (!rc)
        rc = put_int64(fid, path, "params", &r->params, err);
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
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    int rc = nn_h5_save_atomic(path, 8192 + (size_t)r->count * 8, fill_recon, (void *)r, err);
    nn_h5_quiet_end(&q);
    return rc;
}

static int read_attrs(hid_t fid, const char *path, nn_recon_result *r, nn_error *err)
{
    char *split = NULL, *ckpt = NULL;
    int rc = nn_h5_attr_read_str(fid, path, "/", "split", &split, err);
    if (!rc)
        rc = nn_h5_attr_read_str(fid, path, "/", "checkpoint", &ckpt, err);
    const char *dbl[2] = { "loss", "psnr" };
    double *dv[2] = { &r->loss, &r->psnr };
    for (int i = 0; i < 2 && !rc; i++)
        rc = nn_h5_attr_read_scalar(fid, path, "/", dbl[i], H5T_FLOAT, H5T_NATIVE_DOUBLE, dv[i],
                                    err);
    const char *ints[3] = { "count", "code_width", "params" };
    int64_t *iv[3] = { &r->count, &r->code_width, &r->params };
    for (int i = 0; i < 3 && !rc; i++)
        rc = nn_h5_attr_read_scalar(fid, path, "/", ints[i], H5T_INTEGER, H5T_NATIVE_INT64,
                                    iv[i], err);
    if (!rc) {
        snprintf(r->split, sizeof r->split, "%s", split);
        snprintf(r->checkpoint, sizeof r->checkpoint, "%s", ckpt);
    }
    free(split);
    free(ckpt);
    return rc;
}

int nn_recon_load(const char *path, nn_recon_result *r, nn_error *err)
{
    memset(r, 0, sizeof *r);
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1;
    int rc = nn_h5_open(path, H5F_ACC_RDONLY, &fid, err);
    if (!rc)
        rc = nn_h5_check_format(fid, path, NN_RECON_FORMAT, NN_RECON_FORMAT_VERSION, NULL, err);
    if (!rc)
        rc = read_attrs(fid, path, r, err);
    hsize_t dims[1] = { 0 };
    if (!rc && r->count > 0)
        rc = nn_h5_read_array(fid, path, "/psnr", H5T_FLOAT, H5T_NATIVE_DOUBLE, sizeof(double),
                              1, dims, (void **)&r->image_psnr, err);
    if (!rc && r->count > 0 && dims[0] != (hsize_t)r->count)
        rc = nn_fail(err, NN_E_FORMAT, "%s: /psnr has %llu values but count is %lld", path,
                     (unsigned long long)dims[0], (long long)r->count);
    if (rc)
        nn_recon_free(r);
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    return rc;
}
