/* Writing the predictions file of `nntrain predict` (layout in
 * include/nn/runfiles.h). */
#include "nn/runfiles.h"

#include <hdf5.h>
#include <string.h>

#include "io/h5array.h"
#include "io/h5util.h"

#define NN_PRED_FORMAT_VERSION 1

/* The root attributes besides the format. */
#define F(member, kind) NN_H5_FIELD(#member, nn_predictions, member, kind)
static const nn_h5_field ATTRS[] = {
    F(checkpoint, NN_H5_TEXT),
    F(data, NN_H5_TEXT),
    F(split, NN_H5_TEXT),
    F(outputs, NN_H5_TEXT),
};
#undef F
#define N_ATTRS ((int)(sizeof ATTRS / sizeof ATTRS[0]))

static int check(const char *path, const nn_predictions *p, nn_error *err)
{
    if (p->n < 1 || p->num_classes < 1 || !p->logits || !p->pred)
        return nn_fail(err, NN_E_STATE, "%s: no predictions to write", path);
    for (int i = 0; i < N_ATTRS; i++)
        if (!memchr((const char *)p + ATTRS[i].offset, '\0', ATTRS[i].size))
            return nn_fail(err, NN_E_STATE, "%s: attribute %s is not terminated", path,
                           ATTRS[i].name);
    return NN_OK;
}

static int fill_predictions(hid_t fid, const char *path, void *ctx, nn_error *err)
{
    const nn_predictions *p = ctx;
    int rc = nn_h5_write_format(fid, path, NN_PRED_FORMAT, NN_PRED_FORMAT_VERSION, err);
    if (!rc)
        rc = nn_h5_fields_write(fid, path, "/", ATTRS, N_ATTRS, p, err);
    hsize_t dims[2] = { (hsize_t)p->n, (hsize_t)p->num_classes };
    if (!rc)
        rc = nn_h5_write_array(fid, path, "/logits", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims,
                               p->logits, err);
    if (!rc)
        rc = nn_h5_write_array(fid, path, "/pred", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims,
                               p->pred, err);
    if (!rc && p->labels)
        rc = nn_h5_write_array(fid, path, "/labels", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims,
                               p->labels, err);
    if (!rc && p->class_names) {
        hid_t str = nn_h5_fixed_utf8(sizeof p->class_names[0]);
        hsize_t k[1] = { (hsize_t)p->num_classes };
        rc = str < 0 ? nn_h5_fail(err, NN_E_IO, "%s: cannot create a string type", path)
                     : nn_h5_write_array(fid, path, "/class_names", str, str, 1, k, p->class_names,
                                         err);
        if (str >= 0)
            H5Tclose(str);
    }
    return rc;
}

int nn_predictions_save(const char *path, const nn_predictions *p, nn_error *err)
{
    int rc = check(path, p, err);
    if (rc)
        return rc;
    size_t hint = 16384 + (size_t)p->n * ((size_t)p->num_classes * 4 + 8) +
                  (size_t)p->num_classes * sizeof p->class_names[0];
    return nn_h5_save_atomic(path, hint, fill_predictions, (void *)p, err);
}
