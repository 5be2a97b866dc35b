/* HDF5 checkpoints: built in memory, written to "<path>.tmp", fsync'ed,
 * renamed over path (nn_h5_save_atomic) after older copies are moved along;
 * every tensor carries a Fletcher32 checksum, and every reader reads and
 * checks the whole file before it uses a tensor. See include/nn/checkpoint.h
 * and docs/checkpoint-format.md for the layout. */
#include "nn/checkpoint.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        return nn_fail(err, NN_E_STATE,
                       "%s: tensor name '%.40s...' is not terminated within "
                       "%d characters",
                       file, name, NN_TENSOR_NAME_LEN);
    const char *p = name[0] == '/' ? name + 1 : name;
    const char *why = NULL;
    if (*p == '\0')
        why = "it is empty";
    for (const char *c = p; !why && *c;) {
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
        return nn_fail(err, NN_E_STATE, "%s: tensor %s has rank %d, expected 1..%d", file, t->name,
                       t->rank, NN_TENSOR_MAX_RANK);
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

/* The numeric root attributes (the training cursor), for the writer and
 * the reader. */
#define F(member, kind) NN_H5_FIELD(#member, nn_checkpoint, member, kind)
static const nn_h5_field SCALARS[] = {
    F(epoch, NN_H5_INT64), F(step, NN_H5_INT64),     F(global_step, NN_H5_INT64),
    F(seed, NN_H5_UINT64), F(world_size, NN_H5_INT), F(lr, NN_H5_DOUBLE),
};
#undef F
#define N_SCALARS ((int)(sizeof SCALARS / sizeof SCALARS[0]))

static int write_root_attrs(hid_t fid, const char *file, const nn_checkpoint *ck, nn_error *err)
{
    unsigned maj, min, rel;
    char h5ver[64];
    if (H5get_libversion(&maj, &min, &rel) < 0)
        snprintf(h5ver, sizeof h5ver, "unknown");
    else
        snprintf(h5ver, sizeof h5ver, "%u.%u.%u", maj, min, rel);
    int rc = nn_h5_write_format(fid, file, NN_CKPT_FORMAT, NN_CKPT_FORMAT_VERSION, err);
    if (rc == NN_OK)
        rc = nn_h5_attr_write_str(fid, file, "/", "nntrain_version", NN_VERSION, err);
    if (rc == NN_OK)
        rc = nn_h5_attr_write_str(fid, file, "/", "hdf5_version", h5ver, err);
    if (rc == NN_OK)
        rc = nn_h5_fields_write(fid, file, "/", SCALARS, N_SCALARS, ck, err);
    if (rc == NN_OK)
        rc = nn_h5_attr_write_str(fid, file, "/", "config", ck->config_text, err);
    if (rc == NN_OK)
        rc = nn_h5_attr_write_str(fid, file, "/", "config_path", ck->config_path, err);
    return rc;
}

/* One float32 dataset (chunked, a Fletcher32 checksum per chunk, never
 * extended) with an int64 "shape" attribute, for readers that look at
 * attributes only. */
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
    hid_t dcpl = nn_h5_checked_dcpl(file, full, t->rank, dims, sizeof(float), err), dset = -1;
    if (dcpl < 0)
        return err ? err->code : NN_E_IO;
    rc = nn_h5_write_dataset(fid, file, full, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t->rank, dims, 0,
                             dcpl, t->data, &dset, err);
    if (rc == NN_OK)
        rc = nn_h5_attr_write(dset, file, full, "shape", H5T_STD_I64LE, H5T_NATIVE_INT64,
                              (hsize_t)t->rank, 0, shape, err);
    nn_h5_close(&dset);
    nn_h5_close(&dcpl);
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

/* ---- keeping older checkpoints --------------------------------------------- */

int nn_checkpoint_backup_name(const char *path, int n, char *out, size_t len, nn_error *err)
{
    size_t plen = strlen(path);
    int w;
    if (n == 0)
        w = snprintf(out, len, "%s", path);
    else if (plen >= 3 && strcmp(path + plen - 3, ".h5") == 0)
        w = snprintf(out, len, "%.*s.%d.h5", (int)(plen - 3), path, n);
    else
        w = snprintf(out, len, "%s.%d", path, n);
    if (w < 0 || (size_t)w >= len)
        return nn_fail(err, NN_E_STATE, "%.64s...: file name too long", path);
    return NN_OK;
}

/* rename(from, to), where a missing from is not an error. */
static int move_if_there(const char *path, const char *from, const char *to, nn_error *err)
{
    if (rename(from, to) != 0 && errno != ENOENT)
        return nn_fail(err, NN_E_IO, "%s: cannot rename %s to %s: %s", path, from, to,
                       strerror(errno));
    return NN_OK;
}

/* path's current file becomes backup 1, atomically: a hard link under a
 * temporary name renamed over backup 1, so path and backup 1 each name a
 * complete checkpoint at every moment. */
static int keep_current(const char *path, const char *first, nn_error *err)
{
    char lnk[PATH_LEN + 32];
    snprintf(lnk, sizeof lnk, "%s.tmp", first);
    unlink(lnk);
    if (link(path, lnk) == 0) {
        if (rename(lnk, first) == 0) {
            /* rename() does nothing when both names are already the same
             * file (a save interrupted after this step): drop the link */
            unlink(lnk);
            return NN_OK;
        }
        int e = errno;
        unlink(lnk);
        return nn_fail(err, NN_E_IO, "%s: cannot rename %s to %s: %s", path, lnk, first,
                       strerror(e));
    }
    if (errno == ENOENT) /* no previous checkpoint */
        return NN_OK;
    /* No hard links here (some network and FUSE file systems): move it. */
    return move_if_there(path, path, first, err);
}

/* The commit step of nn_h5_save_atomic_commit: older copies move along by
 * one, then the new file (tmp) is renamed over path. */
static int rotate_and_commit(const char *path, const char *tmp, void *ctx, nn_error *err)
{
    const int keep = *(const int *)ctx;
    char from[PATH_LEN + 16], to[PATH_LEN + 16];
    int rc = NN_OK;
    for (int n = keep - 1; n >= 2 && rc == NN_OK; n--) {
        if (!(rc = nn_checkpoint_backup_name(path, n - 1, from, sizeof from, err)) &&
            !(rc = nn_checkpoint_backup_name(path, n, to, sizeof to, err)))
            rc = move_if_there(path, from, to, err);
    }
    if (rc == NN_OK && keep >= 2 && !(rc = nn_checkpoint_backup_name(path, 1, to, sizeof to, err)))
        rc = keep_current(path, to, err);
    if (rc)
        return rc;
    if (rename(tmp, path) != 0)
        return nn_fail(err, NN_E_IO, "%s: cannot rename %s over it: %s", path, tmp,
                       strerror(errno));
    /* Backups beyond keep (left by a run with a larger keep_checkpoints). */
    for (int n = keep; n < NN_CKPT_MAX_KEEP; n++)
        if (nn_checkpoint_backup_name(path, n, to, sizeof to, NULL) == NN_OK)
            unlink(to);
    return NN_OK;
}

/* The file's expected size: data plus generous room for object headers,
 * groups and strings. */
static size_t image_size(const nn_checkpoint *ck)
{
    size_t bytes = 1u << 20;
    for (int i = 0; i < ck->n_tensors; i++) {
        size_t n = sizeof(float);
        for (int d = 0; d < ck->tensors[i].rank; d++)
            n *= (size_t)ck->tensors[i].dims[d];
        bytes += n + 4096;
    }
    return bytes + (ck->config_text ? strlen(ck->config_text) : 0);
}

int nn_checkpoint_save(const char *path, const nn_checkpoint *ck, nn_error *err)
{
    int rc = check_save_args(path, ck, err);
    if (rc)
        return rc;
    return nn_h5_save_atomic(path, image_size(ck), fill_checkpoint, (void *)ck, err);
}

int nn_checkpoint_save_keep(const char *path, int keep, const nn_checkpoint *ck, nn_error *err)
{
    if (keep < 1 || keep > NN_CKPT_MAX_KEEP)
        return nn_fail(err, NN_E_STATE, "%s: keep %d checkpoints? expected 1..%d",
                       path ? path : "checkpoint save", keep, NN_CKPT_MAX_KEEP);
    int rc = check_save_args(path, ck, err);
    if (rc)
        return rc;
    return nn_h5_save_atomic_commit(path, image_size(ck), fill_checkpoint, (void *)ck,
                                    rotate_and_commit, &keep, err);
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
    if (rank < 0 || rank > H5S_MAX_RANK || H5Sget_simple_extent_dims(space, have, NULL) < 0) {
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
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset %s has shape %s, expected %s", file, full, hs,
                     ws);
        goto out;
    }
    if (H5Tget_class(type) != H5T_FLOAT) {
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset %s is not floating point", file, full);
        goto out;
    }
    char what[NN_TENSOR_NAME_LEN + 16];
    snprintf(what, sizeof what, "dataset %s", full);
    if (H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data) < 0)
        rc = nn_h5_read_fail(err, NN_E_FORMAT, file, what);
out:
    nn_h5_close(&type);
    nn_h5_close(&space);
    nn_h5_close(&dset);
    return rc;
}

static int read_scalars(hid_t fid, const char *file, nn_checkpoint *ck, nn_error *err)
{
    return nn_h5_fields_read(fid, file, "/", SCALARS, N_SCALARS, ck, err);
}

/* Open a checkpoint read-only and check its format attributes; *version
 * receives format_version (may be NULL). */
static int open_checkpoint(const char *path, hid_t *fid, int *version, nn_error *err)
{
    if (!path || !*path)
        return nn_fail(err, NN_E_STATE, "checkpoint load: no file name");
    return nn_h5_open_format(path, NN_CKPT_FORMAT, NN_CKPT_FORMAT_VERSION, version, fid, err);
}

/* ---- verifying ------------------------------------------------------------ */

#define MAX_OBJECTS 65536 /* far more than any network has tensors */

typedef struct name_list {
    char (*names)[NN_TENSOR_NAME_LEN];
    int n, cap;
    int nomem;
    const char *odd; /* why the walk stopped early, or NULL */
    char odd_name[NN_TENSOR_NAME_LEN];
} name_list;

/* H5Lvisit callback: remember every link's name (opening objects is left
 * until after the walk). nntrain writes hard links only. */
static herr_t collect_link(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    (void)group;
    name_list *l = data;
    if (info->type != H5L_TYPE_HARD)
        l->odd = "is a soft or external link (nntrain writes neither)";
    else if (strlen(name) >= NN_TENSOR_NAME_LEN)
        l->odd = "has a name longer than a tensor name can be";
    else if (l->n == MAX_OBJECTS)
        l->odd = "is one object too many";
    if (l->odd) {
        snprintf(l->odd_name, sizeof l->odd_name, "%.*s", NN_TENSOR_NAME_LEN - 1, name);
        return 1; /* stop the walk */
    }
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        void *p = realloc(l->names, (size_t)cap * sizeof *l->names);
        if (!p) {
            l->nomem = 1;
            return -1;
        }
        l->names = p;
        l->cap = cap;
    }
    snprintf(l->names[l->n++], NN_TENSOR_NAME_LEN, "%s", name);
    return 0;
}

/* The "shape" attribute of a tensor equals its dimensions. */
static int check_shape_attr(hid_t dset, const char *file, const char *full, int rank,
                            const hsize_t *dims, nn_error *err)
{
    char what[NN_TENSOR_NAME_LEN + 32];
    snprintf(what, sizeof what, "the shape attribute of %s", full);
    htri_t has = H5Aexists(dset, "shape");
    if (has < 0)
        return nn_h5_read_fail(err, NN_E_FORMAT, file, what);
    if (has == 0)
        return nn_fail(err, NN_E_FORMAT, "%s: dataset %s has no shape attribute", file, full);
    hid_t attr = H5Aopen(dset, "shape", H5P_DEFAULT);
    hid_t space = attr < 0 ? -1 : H5Aget_space(attr);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    int64_t shape[NN_TENSOR_MAX_RANK];
    int rc = NN_OK;
    if (n < 0) {
        rc = nn_h5_read_fail(err, NN_E_FORMAT, file, what);
    } else if (n != rank) {
        rc = nn_fail(err, NN_E_FORMAT,
                     "%s: dataset %s: its shape attribute has %lld values "
                     "for %d dimensions",
                     file, full, (long long)n, rank);
    } else if (H5Aread(attr, H5T_NATIVE_INT64, shape) < 0) {
        rc = nn_h5_read_fail(err, NN_E_FORMAT, file, what);
    } else {
        for (int i = 0; i < rank && rc == NN_OK; i++)
            if (shape[i] < 0 || (hsize_t)shape[i] != dims[i])
                rc = nn_fail(err, NN_E_FORMAT,
                             "%s: dataset %s: its shape attribute does not "
                             "match its dimensions",
                             file, full);
    }
    nn_h5_close(&space);
    nn_h5_close(&attr);
    return rc;
}

typedef struct verifier {
    const char *file;
    int version;
    hsize_t file_bytes;
    float *buf; /* scratch for one tensor */
    size_t buf_count;
    nn_checkpoint_info *info;
} verifier;

/* Shape, checksum filter, shape attribute of an open dataset, then every
 * value (HDF5 checks each chunk's checksum as it reads). */
static int verify_dataset(verifier *v, hid_t dset, const char *full, nn_error *err)
{
    char what[NN_TENSOR_NAME_LEN + 16];
    snprintf(what, sizeof what, "dataset %s", full);
    hid_t type = H5Dget_type(dset), space = H5Dget_space(dset);
    hsize_t dims[H5S_MAX_RANK];
    int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    int rc = NN_OK;
    if (type < 0 || rank < 0 || H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
        rc = nn_h5_read_fail(err, NN_E_FORMAT, v->file, what);
        goto out;
    }
    /* the number of values, saturated just above what the file could hold */
    unsigned long long count = 1, cap = (unsigned long long)v->file_bytes + 1;
    for (int i = 0; i < rank && count > 0; i++)
        count = dims[i] && count > cap / dims[i] ? cap : count * dims[i];
    if (H5Tget_class(type) != H5T_FLOAT)
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset %s is not floating point", v->file, full);
    else if (rank < 1 || rank > NN_TENSOR_MAX_RANK || count == 0)
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset %s is not a tensor of rank 1..%d", v->file,
                     full, NN_TENSOR_MAX_RANK);
    else if (count > v->file_bytes / sizeof(float))
        rc = nn_fail(err, NN_E_FORMAT, "%s: dataset %s claims more values than the file holds",
                     v->file, full);
    if (rc)
        goto out;
    int has = nn_h5_has_checksum(dset);
    if (has < 0) {
        rc = nn_h5_read_fail(err, NN_E_FORMAT, v->file, what);
        goto out;
    }
    if (!has && v->version >= NN_CKPT_CHECKSUM_VERSION) {
        rc = nn_fail(err, NN_E_FORMAT,
                     "%s: dataset %s has no checksum (every tensor of a "
                     "format %d checkpoint has one; was the file rewritten by another tool?)",
                     v->file, full, v->version);
        goto out;
    }
    if ((rc = check_shape_attr(dset, v->file, full, rank, dims, err)))
        goto out;
    if (count > v->buf_count) {
        free(v->buf);
        v->buf_count = 0;
        if (!(v->buf = nn_malloc(count * sizeof(float), err))) {
            rc = NN_E_NOMEM;
            goto out;
        }
        v->buf_count = (size_t)count;
    }
    if (H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v->buf) < 0) {
        rc = nn_h5_read_fail(err, NN_E_FORMAT, v->file, what);
        goto out;
    }
    v->info->n_tensors++;
    v->info->n_checksummed += has;
out:
    nn_h5_close(&space);
    nn_h5_close(&type);
    return rc;
}

/* Open each object of the list; datasets are verified, groups skipped. */
static int verify_objects(verifier *v, hid_t fid, const name_list *l, nn_error *err)
{
    int rc = NN_OK;
    for (int i = 0; i < l->n && rc == NN_OK; i++) {
        char full[NN_TENSOR_NAME_LEN + 2], what[NN_TENSOR_NAME_LEN + 16];
        snprintf(full, sizeof full, "/%s", l->names[i]);
        snprintf(what, sizeof what, "object %s", full);
        hid_t obj = H5Oopen(fid, full, H5P_DEFAULT);
        if (obj < 0)
            return nn_h5_read_fail(err, NN_E_FORMAT, v->file, what);
        H5I_type_t t = H5Iget_type(obj);
        if (t == H5I_DATASET)
            rc = verify_dataset(v, obj, full, err);
        nn_h5_close(&obj);
    }
    return rc;
}

/* The root attributes every checkpoint has, with sane values. */
static int verify_root(hid_t fid, const char *file, nn_checkpoint_info *info, nn_error *err)
{
    nn_checkpoint ck = { 0 };
    int rc = read_scalars(fid, file, &ck, err);
    static const char *const strings[] = { "nntrain_version", "hdf5_version", "config",
                                           "config_path" };
    for (size_t i = 0; rc == NN_OK && i < sizeof strings / sizeof strings[0]; i++) {
        char *text = NULL;
        rc = nn_h5_attr_read_str(fid, file, "/", strings[i], &text, err);
        free(text);
    }
    if (rc)
        return rc;
    if (ck.epoch < 0 || ck.step < 0 || ck.global_step < 0 || ck.world_size < 1)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: impossible cursor (epoch %lld, step %lld, global "
                       "step %lld, %d ranks): the file is damaged",
                       file, (long long)ck.epoch, (long long)ck.step, (long long)ck.global_step,
                       ck.world_size);
    info->epoch = ck.epoch;
    info->step = ck.step;
    info->global_step = ck.global_step;
    return NN_OK;
}

/* Everything nn_checkpoint_verify checks, on an open file of the given
 * format version. */
static int verify_file(hid_t fid, const char *file, int version, nn_checkpoint_info *info,
                       nn_error *err)
{
    nn_checkpoint_info scratch;
    if (!info)
        info = &scratch;
    memset(info, 0, sizeof *info);
    info->format_version = version;
    int rc = verify_root(fid, file, info, err);
    if (rc)
        return rc;
    verifier v = { .file = file, .version = version, .info = info };
    if (H5Fget_filesize(fid, &v.file_bytes) < 0)
        return nn_h5_fail(err, NN_E_IO, "%s: cannot get the file size", file);
    name_list l = { 0 };
    herr_t walk = H5Lvisit(fid, H5_INDEX_NAME, H5_ITER_INC, collect_link, &l);
    if (l.nomem)
        rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory listing its datasets", file);
    else if (walk < 0)
        rc = nn_h5_read_fail(err, NN_E_FORMAT, file, "the list of datasets");
    else if (l.odd)
        rc = nn_fail(err, NN_E_FORMAT, "%s: /%s %s", file, l.odd_name, l.odd);
    else
        rc = verify_objects(&v, fid, &l, err);
    free(l.names);
    free(v.buf);
    return rc;
}

int nn_checkpoint_verify(const char *path, nn_checkpoint_info *info, nn_error *err)
{
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1;
    int version = 0;
    int rc = open_checkpoint(path, &fid, &version, err);
    if (rc == NN_OK)
        rc = verify_file(fid, path, version, info, err);
    nn_h5_close(&fid);
    nn_h5_quiet_end(&q);
    return rc;
}

const char *nn_checkpoint_version_note(int format_version)
{
    if (format_version >= NN_CKPT_CHECKSUM_VERSION)
        return NULL;
    return "a format 1 checkpoint: its tensors carry no checksums, so damage to them cannot be "
           "detected (checkpoints written now carry them)";
}

/* Open a checkpoint and verify all of it (see nn_checkpoint_verify). */
static int open_verified(const char *path, hid_t *fid, int *version, nn_error *err)
{
    int v = 0;
    int rc = open_checkpoint(path, fid, &v, err);
    if (rc == NN_OK && (rc = verify_file(*fid, path, v, NULL, err)))
        nn_h5_close(fid);
    if (version)
        *version = v;
    return rc;
}

int nn_checkpoint_load(const char *path, nn_checkpoint *ck, nn_error *err)
{
    if (!ck || ck->n_tensors < 0 || (ck->n_tensors > 0 && !ck->tensors))
        return nn_fail(err, NN_E_STATE, "%s: no tensors to load into", path ? path : "?");
    nn_h5_quiet q;
    nn_h5_quiet_begin(&q);
    hid_t fid = -1;
    int rc = open_verified(path, &fid, &ck->format_version, err);
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
    int rc = open_checkpoint(path, &fid, NULL, err);
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
    int rc = open_verified(path, &fid, NULL, err);
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
    int rc = open_verified(path, &fid, NULL, err);
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
