/* Reading and writing pca.h5 (layout in include/nn/runfiles.h). */
#include "nn/runfiles.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5array.h"
#include "io/h5util.h"

#define NN_PCA_FORMAT_VERSION 1

int nn_pca_model_alloc(nn_pca_model *m, int64_t dim, int64_t kmax, nn_error *err)
{
    memset(m, 0, sizeof *m);
    if (dim < 1 || kmax < 1 || kmax > dim)
        return nn_fail(err, NN_E_STATE, "PCA: %lld components of %lld pixels", (long long)kmax,
                       (long long)dim);
    m->dim = dim;
    m->kmax = kmax;
    m->mean = nn_alloc_floats((size_t)dim, err);
    m->components = m->mean ? nn_alloc_floats((size_t)(kmax * dim), err) : NULL;
    m->eigenvalues = m->components ? nn_malloc((size_t)dim * sizeof(double), err) : NULL;
    if (!m->eigenvalues) {
        nn_pca_model_free(m);
        return NN_E_NOMEM;
    }
    return NN_OK;
}

void nn_pca_model_free(nn_pca_model *m)
{
    nn_free_aligned(m->mean);
    nn_free_aligned(m->components);
    free(m->eigenvalues);
    m->mean = m->components = NULL;
    m->eigenvalues = NULL;
}

/* ---- writing ----------------------------------------------------------------- */

/* The root attributes besides the format and the config text, for the
 * writer and the reader. */
static const nn_h5_field ATTRS[] = {
    NN_H5_FIELD("n_train", nn_pca_model, n_train, NN_H5_INT64),
    NN_H5_FIELD("covariance_rank", nn_pca_model, cov_rank, NN_H5_INT64),
    NN_H5_FIELD("height", nn_pca_model, height, NN_H5_INT64),
    NN_H5_FIELD("width", nn_pca_model, width, NN_H5_INT64),
    NN_H5_FIELD("config_path", nn_pca_model, config_path, NN_H5_TEXT),
};
#define N_ATTRS ((int)(sizeof ATTRS / sizeof ATTRS[0]))

static int write_attrs(hid_t fid, const char *path, const nn_pca_model *m, nn_error *err)
{
    int rc = nn_h5_write_format(fid, path, NN_PCA_FORMAT, NN_PCA_FORMAT_VERSION, err);
    if (!rc)
        rc = nn_h5_fields_write(fid, path, "/", ATTRS, N_ATTRS, m, err);
    if (!rc)
        rc = nn_h5_attr_write_str(fid, path, "/", "config", m->config_text, err);
    return rc;
}

static int fill_pca(hid_t fid, const char *path, void *ctx, nn_error *err)
{
    const nn_pca_model *m = ctx;
    int rc = write_attrs(fid, path, m, err);
    hsize_t d1[1] = { (hsize_t)m->dim }, d2[2] = { (hsize_t)m->kmax, (hsize_t)m->dim };
    hsize_t nk[1] = { (hsize_t)m->n_k };
    if (!rc)
        rc = nn_h5_write_array(fid, path, "/mean", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d1, m->mean,
                               err);
    if (!rc)
        rc = nn_h5_write_array(fid, path, "/components", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, d2,
                               m->components, err);
    if (!rc)
        rc = nn_h5_write_array(fid, path, "/eigenvalues", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, d1,
                               m->eigenvalues, err);
    int64_t params[NN_PCA_MAX_K];
    for (int i = 0; i < m->n_k; i++)
        params[i] = m->k[i] * m->dim;
    if (!rc && m->n_k > 0)
        rc = nn_h5_write_array(fid, path, "/k", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, nk, m->k, err);
    if (!rc && m->n_k > 0)
        rc = nn_h5_write_array(fid, path, "/projection_rank", H5T_STD_I64LE, H5T_NATIVE_INT64, 1,
                               nk, m->proj_rank, err);
    if (!rc && m->n_k > 0)
        rc = nn_h5_write_array(fid, path, "/params", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, nk, params,
                               err);
    if (!rc && m->n_k > 0)
        rc = nn_h5_write_array(fid, path, "/valid_psnr", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, nk,
                               m->valid_psnr, err);
    if (!rc && m->n_k > 0)
        rc = nn_h5_write_array(fid, path, "/test_psnr", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, nk,
                               m->test_psnr, err);
    return rc;
}

int nn_pca_save(const char *path, const nn_pca_model *m, nn_error *err)
{
    if (!m->mean || !m->components || !m->eigenvalues || m->n_k < 1 || m->n_k > NN_PCA_MAX_K)
        return nn_fail(err, NN_E_STATE, "%s: incomplete PCA model", path);
    size_t bytes = (size_t)(m->kmax + 3) * (size_t)m->dim * 8 + 65536 +
                   (m->config_text ? strlen(m->config_text) : 0);
    return nn_h5_save_atomic(path, bytes, fill_pca, (void *)m, err);
}

/* ---- reading ----------------------------------------------------------------- */

/* /k and the arrays of the same length, copied into the fixed tables. */
static int read_results(hid_t fid, const char *path, nn_pca_model *m, nn_error *err)
{
    const char *names[4] = { "/k", "/projection_rank", "/valid_psnr", "/test_psnr" };
    void *dst[4] = { m->k, m->proj_rank, m->valid_psnr, m->test_psnr };
    int rc = NN_OK;
    for (int i = 0; i < 4 && !rc; i++) {
        int is_int = i < 2;
        hsize_t dims[1];
        void *buf = NULL;
        rc = nn_h5_read_array(fid, path, names[i], is_int ? H5T_INTEGER : H5T_FLOAT,
                              is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, 8, 1, dims, &buf, err);
        if (!rc && i == 0 && dims[0] > NN_PCA_MAX_K)
            rc = nn_fail(err, NN_E_FORMAT, "%s: /k has %llu entries (at most %d)", path,
                         (unsigned long long)dims[0], NN_PCA_MAX_K);
        if (!rc && i == 0)
            m->n_k = (int)dims[0];
        if (!rc && dims[0] != (hsize_t)m->n_k)
            rc = nn_fail(err, NN_E_FORMAT, "%s: %s has %llu entries but /k has %d", path, names[i],
                         (unsigned long long)dims[0], m->n_k);
        if (!rc)
            memcpy(dst[i], buf, (size_t)m->n_k * 8);
        free(buf);
    }
    for (int i = 0; i < m->n_k && !rc; i++)
        if (m->k[i] < 1 || m->k[i] > m->kmax)
            rc = nn_fail(err, NN_E_FORMAT, "%s: /k holds %lld but only %lld components are stored",
                         path, (long long)m->k[i], (long long)m->kmax);
    return rc;
}

static int read_arrays(hid_t fid, const char *path, nn_pca_model *m, nn_error *err)
{
    hsize_t dm[1], dc[2], de[1];
    int rc = nn_h5_read_array(fid, path, "/mean", H5T_FLOAT, H5T_NATIVE_FLOAT, sizeof(float), 1, dm,
                              (void **)&m->mean, err);
    if (!rc)
        rc = nn_h5_read_array(fid, path, "/components", H5T_FLOAT, H5T_NATIVE_FLOAT, sizeof(float),
                              2, dc, (void **)&m->components, err);
    if (!rc)
        rc = nn_h5_read_array(fid, path, "/eigenvalues", H5T_FLOAT, H5T_NATIVE_DOUBLE,
                              sizeof(double), 1, de, (void **)&m->eigenvalues, err);
    if (!rc && (dc[1] != dm[0] || de[0] != dm[0] || dc[0] > dm[0]))
        rc = nn_fail(err, NN_E_FORMAT,
                     "%s: shapes disagree: /mean %llu, /components %llux%llu, "
                     "/eigenvalues %llu",
                     path, (unsigned long long)dm[0], (unsigned long long)dc[0],
                     (unsigned long long)dc[1], (unsigned long long)de[0]);
    if (!rc && (m->height < 1 || m->width < 1 || m->height * m->width != (int64_t)dm[0]))
        rc = nn_fail(err, NN_E_FORMAT, "%s: height x width = %lld x %lld is not %llu pixels", path,
                     (long long)m->height, (long long)m->width, (unsigned long long)dm[0]);
    if (!rc) {
        m->dim = (int64_t)dm[0];
        m->kmax = (int64_t)dc[0];
    }
    return rc;
}

static int read_pca(hid_t fid, const char *path, int version, void *ctx, nn_error *err)
{
    nn_pca_model *m = ctx;
    (void)version;
    int rc = nn_h5_fields_read(fid, path, "/", ATTRS, N_ATTRS, m, err);
    if (!rc)
        rc = read_arrays(fid, path, m, err);
    if (!rc)
        rc = read_results(fid, path, m, err);
    if (rc) {
        nn_pca_model_free(m); /* nn_free_aligned is free(): fine for malloc'ed arrays */
        memset(m, 0, sizeof *m);
    }
    return rc;
}

int nn_pca_load(const char *path, nn_pca_model *m, nn_error *err)
{
    memset(m, 0, sizeof *m);
    return nn_h5_load(path, NN_PCA_FORMAT, NN_PCA_FORMAT_VERSION, read_pca, m, err);
}
