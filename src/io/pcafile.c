/* Reading and writing pca.h5 (layout in include/nn/pcafile.h). */
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

static int put_int64(hid_t fid, const char *path, const char *name, int64_t v, nn_error *err)
{
    return nn_h5_attr_write(fid, path, "/", name, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, 1, &v, err);
}

static int write_attrs(hid_t fid, const char *path, const nn_pca_model *m, nn_error *err)
{
    int version = NN_PCA_FORMAT_VERSION;
    int rc = nn_h5_attr_write_str(fid, path, "/", "format", NN_PCA_FORMAT, err);
    if (!rc)
        rc = nn_h5_attr_write(fid, path, "/", "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, 1,
                              1, &version, err);
    if (!rc)
        rc = put_int64(fid, path, "n_train", m->n_train, err);
    if (!rc)
        rc = put_int64(fid, path, "covariance_rank", m->cov_rank, err);
    if (!rc)
        rc = put_int64(fid, path, "height", m->height, err);
    if (!rc)
        rc = put_int64(fid, path, "width", m->width, err);
    if (!rc)
        rc = nn_h5_attr_write_str(fid, path, "/", "config", m->config_text, err);
    if (!rc)
        rc = nn_h5_attr_write_str(fid, path, "/", "config_path", m->config_path, err);
    return rc;
}

static int fill_pca(hid_t fid, const char *path, void *ctx, nn_error *err)
{
    const nn_pca_model *m = ctx;
    int rc = write_attrs(fid, path, m, err);
    hsize_t d1[1] = { (hsize_t)m->dim }, d2[2] = { (hsize_t)m->kmax, (hsize_t)m->dim };
    hsize_t nk[1] = { (hsize_t)m->n_k };
    if (!rc)
        rc = nn_h5_write_array(fid, path, "/mean", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d1,
                               m->mean, err);
    if (!rc)
        rc = nn_h5_write_array(fid, path, "/components", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, d2,
                               m->components, err);
    if (!rc)
        rc = nn_h5_write_array(fid, path, "/eigenvalues", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                               d1, m->eigenvalues, err);
    int64_t params[NN_PCA_MAX_K];
    for (int i = 0; i < m->n_k; i++)
        params[i] = m->k[i] * m->dim;
    if (!rc && m->n_k > 0)
        rc = nn_h5_write_array(fid, path, "/k", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, nk, m->k,
                               err);
    if (!rc && m->n_k > 0)
        rc = nn_h5_write_array(fid, path, "/projection_rank", H5T_STD_I64LE, H5T_NATIVE_INT64, 1,
                               nk, m->proj_rank, err);
    if (!rc && m->n_k > 0)
        rc = nn_h5_write_array(fid, path, "/params", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, nk,
                               params, err);
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
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    int rc = nn_h5_save_atomic(path, bytes, fill_pca, (void *)m, err);
    nn_h5_quiet_end(&q);
    return rc;
}

/* ---- reading ----------------------------------------------------------------- */

static int read_attrs(hid_t fid, const char *path, nn_pca_model *m, nn_error *err)
{
    const char *names[4] = { "n_train", "covariance_rank", "height", "width" };
    int64_t *vals[4] = { &m->n_train, &m->cov_rank, &m->height, &m->width };
    int rc = NN_OK;
    for (int i = 0; i < 4 && !rc; i++)
        rc = nn_h5_attr_read_scalar(fid, path, "/", names[i], H5T_INTEGER, H5T_NATIVE_INT64,
                                    vals[i], err);
    char *cp = NULL;
    if (!rc)
        rc = nn_h5_attr_read_str(fid, path, "/", "config_path", &cp, err);
    if (!rc)
        snprintf(m->config_path, sizeof m->config_path, "%s", cp);
    free(cp);
    return rc;
}

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
                              is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, 8, 1, dims, &buf,
                              err);
        if (!rc && i == 0 && dims[0] > NN_PCA_MAX_K)
            rc = nn_fail(err, NN_E_FORMAT, "%s: /k has %llu entries (at most %d)", path,
                         (unsigned long long)dims[0], NN_PCA_MAX_K);
        if (!rc && i == 0)
            m->n_k = (int)dims[0];
        if (!rc && dims[0] != (hsize_t)m->n_k)
            rc = nn_fail(err, NN_E_FORMAT, "%s: %s has %llu entries but /k has %d", path,
                         names[i], (unsigned long long)dims[0], m->n_k);
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
    int rc = nn_h5_read_array(fid, path, "/mean", H5T_FLOAT, H5T_NATIVE_FLOAT, sizeof(float), 1,
                              dm, (void **)&m->mean, err);
    if (!rc)
        rc = nn_h5_read_array(fid, path, "/components", H5T_FLOAT, H5T_NATIVE_FLOAT,
                              sizeof(float), 2, dc, (void **)&m->components, err);
    if (!rc)
        rc = nn_h5_read_array(fid, path, "/eigenvalues", H5T_FLOAT, H5T_NATIVE_DOUBLE,
                              sizeof(double), 1, de, (void **)&m->eigenvalues, err);
    if (!rc && (dc[1] != dm[0] || de[0] != dm[0] || dc[0] > dm[0]))
        rc = nn_fail(err, NN_E_FORMAT, "%s: shapes disagree: /mean %llu, /components %llux%llu, "
                     "/eigenvalues %llu", path, (unsigned long long)dm[0],
                     (unsigned long long)dc[0], (unsigned long long)dc[1],
                     (unsigned long long)de[0]);
    if (!rc && (m->height < 1 || m->width < 1 || m->height * m->width != (int64_t)dm[0]))
        rc = nn_fail(err, NN_E_FORMAT, "%s: height x width = %lld x %lld is not %llu pixels",
                     path, (long long)m->height, (long long)m->width, (unsigned long long)dm[0]);
    if (!rc) {
        m->dim = (int64_t)dm[0];
        m->kmax = (int64_t)dc[0];
    }
    return rc;
}

int nn_pca_load(const char *path, nn_pca_model *m, nn_error *err)
{
    memset(m, 0, sizeof *m);
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1;
    int rc = nn_h5_open(path, H5F_ACC_RDONLY, &fid, err);
    if (!rc)
        rc = nn_h5_check_format(fid, path, NN_PCA_FORMAT, NN_PCA_FORMAT_VERSION, NULL, err);
    if (!rc)
        rc = read_attrs(fid, path, m, err);
    if (!rc)
        rc = read_arrays(fid, path, m, err);
    if (!rc)
        rc = read_results(fid, path, m, err);
    if (rc) {
        nn_pca_model_free(m); /* nn_free_aligned is free(): fine for malloc'ed arrays */
        memset(m, 0, sizeof *m);
    }
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    return rc;
}
