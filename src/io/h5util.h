/* Small HDF5 helpers shared by the checkpoint and metrics writers (private
 * to src/io). Every helper that can fail reports through nn_error at the
 * point of failure, naming the file and what is wrong and, when HDF5 knows
 * more, its innermost error description. That has to happen before any
 * further HDF5 call: every API call clears the error stack on entry. */
#ifndef NN_IO_H5UTIL_H
#define NN_IO_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "nn/error.h"

/* HDF5 prints its error stack to stderr by default; library code must not
 * print. quiet_begin saves the caller's handler and silences it, quiet_end
 * puts it back, so code elsewhere in the process keeps its own setting. */
typedef struct nn_h5_quiet {
    H5E_auto2_t func;
    void *data;
} nn_h5_quiet;
void nn_h5_quiet_begin(nn_h5_quiet *q);
void nn_h5_quiet_end(const nn_h5_quiet *q);

/* Like nn_fail, and appends ": <innermost HDF5 error>" when the HDF5 error
 * stack holds one. Call it right after the failing HDF5 call. */
int nn_h5_fail(nn_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The tail of every message about a checksum mismatch. */
#define NN_H5_DAMAGED "checksum mismatch (the file is damaged)"

/* After a failed read (H5Dopen2, H5Dread, ...) of what (e.g. "dataset
 * /model/fc1/W"): "<file>: <what>: checksum mismatch (the file is damaged)"
 * when HDF5's error stack holds a checksum error (NN_E_FORMAT), else
 * "<file>: cannot read <what> (HDF5: ...)" with code. nn_h5_fail also
 * recognises checksum errors: "<its message>: checksum mismatch (...)". */
int nn_h5_read_fail(nn_error *err, int code, const char *file, const char *what);

/* Close a handle if it is open and set it to -1 (errors are ignored: this is
 * for cleanup paths, where the first error is the one reported). */
void nn_h5_close(hid_t *id);

/* File access property list: the default serial (sec2) driver, with file
 * locking left on but ignored where the file system does not support it
 * (NFS, some Lustre mounts), which would otherwise make every open fail.
 * Returns a handle to close with H5Pclose, or < 0 (err filled). */
hid_t nn_h5_fapl(const char *file, nn_error *err);

/* Write an HDF5 file atomically. fill() builds the file's content in memory
 * (core driver, no backing store: HDF5 itself never touches the disk); the
 * image is then written to "<path>.tmp" with plain write(2), fsync'ed,
 * renamed over path, and the folder fsync'ed. Any failure leaves path as it
 * was and removes the temporary. Why not the sec2 driver directly: in HDF5
 * 1.10.8 a write error at H5Fclose (disk full, quota) leaves a dangling file
 * ID that HDF5 uses after freeing it at exit; an open writer also locks the
 * file against readers such as h5dump. Here disk errors come back from
 * write(2) with their errno. Costs up to twice the file size in memory.
 * size_hint: expected file size (sizes the in-memory buffer). fill reports
 * its own errors (naming path) and returns NN_OK or the error code. */
typedef int (*nn_h5_fill_fn)(hid_t fid, const char *path, void *ctx, nn_error *err);
int nn_h5_save_atomic(const char *path, size_t size_hint, nn_h5_fill_fn fill, void *ctx,
                      nn_error *err);

/* The same with the last step replaced: commit() is called once tmp holds
 * the complete, fsync'ed file, and must end with tmp renamed over path
 * (keeping older copies first, say). On failure it leaves path a complete
 * file and returns the error; tmp is then removed. The folder is fsync'ed
 * after it. */
typedef int (*nn_h5_commit_fn)(const char *path, const char *tmp, void *ctx, nn_error *err);
int nn_h5_save_atomic_commit(const char *path, size_t size_hint, nn_h5_fill_fn fill, void *ctx,
                             nn_h5_commit_fn commit, void *commit_ctx, nn_error *err);

/* Open an existing HDF5 file: a clear message for a missing or unreadable
 * file (NN_E_IO), a file that is not HDF5 or is damaged (NN_E_FORMAT). */
int nn_h5_open(const char *file, unsigned flags, hid_t *fid, nn_error *err);

/* Check the root attributes "format" (== expected) and "format_version"
 * (1..max_version); *version receives it (may be NULL). NN_E_FORMAT. */
int nn_h5_check_format(hid_t fid, const char *file, const char *expected, int max_version,
                       int *version, nn_error *err);

/* nn_h5_open (read-only) and nn_h5_check_format in one; *fid is closed
 * (-1) on failure. */
int nn_h5_open_format(const char *file, const char *format, int max_version, int *version,
                      hid_t *fid, nn_error *err);

/* Read a file of one format, the counterpart of nn_h5_save_atomic: with
 * HDF5's error printing off, open path read-only, check its format
 * attributes, call read(fid, path, format_version, ctx), close the file.
 * read reports its own errors (naming path). */
typedef int (*nn_h5_read_fn)(hid_t fid, const char *path, int version, void *ctx, nn_error *err);
int nn_h5_load(const char *path, const char *format, int max_version, nn_h5_read_fn read, void *ctx,
               nn_error *err);

/* The root attributes "format" (a string) and "format_version" (int32) that
 * every nntrain file starts with. */
int nn_h5_write_format(hid_t fid, const char *file, const char *format, int version, nn_error *err);

/* A new property list of plist_class (H5P_FILE_CREATE, H5P_DATASET_CREATE,
 * H5P_GROUP_CREATE) that keeps no modification times in the object header:
 * nntrain's files then hold the same bytes for the same content. -1 on
 * failure. */
hid_t nn_h5_untimed(hid_t plist_class);

/* Dataset creation properties for a dataset nntrain reads back as trusted
 * numbers: chunked (the whole dataset, or pieces of at most
 * NN_H5_CHUNK_BYTES) with HDF5's Fletcher32 checksum on every chunk, which
 * HDF5 checks on every read (h5dump, h5py and MATLAB read such files as
 * usual). elem: bytes per element. Close with H5Pclose; < 0 on error. */
#define NN_H5_CHUNK_BYTES (1u << 20)
hid_t nn_h5_checked_dcpl(const char *file, const char *name, int rank, const hsize_t *dims,
                         size_t elem, nn_error *err);

/* Is an open dataset stored with the Fletcher32 filter? 1 yes, 0 no, < 0
 * HDF5 error. */
int nn_h5_has_checksum(hid_t dset);

/* Create dataset name (relative to loc) of file type ftype and shape
 * dims[rank] (dimension 0 unlimited when extendible) with creation
 * properties dcpl (H5P_DEFAULT: contiguous), and write buf (memory type
 * mtype) into all of it; buf NULL writes nothing. *dset receives the open
 * dataset, for attributes (close it with nn_h5_close); dset NULL closes it.
 * NN_E_IO naming file and dataset on failure. */
int nn_h5_write_dataset(hid_t loc, const char *file, const char *name, hid_t ftype, hid_t mtype,
                        int rank, const hsize_t *dims, int extendible, hid_t dcpl, const void *buf,
                        hid_t *dset, nn_error *err);

/* Does "/a/b/c" exist (every component)? 1 yes, 0 no, < 0 HDF5 error. */
int nn_h5_path_exists(hid_t loc, const char *path);

/* Create every missing group on the way to the object named by path
 * ("/model/fc1/W" creates /model and /model/fc1). */
int nn_h5_make_parents(hid_t fid, const char *file, const char *path, nn_error *err);

/* A fixed-length NUL-terminated UTF-8 string type of size bytes (close it
 * with H5Tclose). nntrain never writes variable-length strings, and refuses
 * to read them: they live in the global heap, on which HDF5 1.10.8 can loop
 * forever when the file is damaged. */
hid_t nn_h5_fixed_utf8(size_t size);

/* Attributes: a scalar, a 1-D array (n values), or a fixed-length UTF-8
 * string (NULL is written as ""). ftype is the type stored in the file
 * (e.g. H5T_STD_I64LE), mtype the type of buf (e.g. H5T_NATIVE_INT64). */
int nn_h5_attr_write(hid_t obj, const char *file, const char *objname, const char *name,
                     hid_t ftype, hid_t mtype, hsize_t n, int scalar, const void *buf,
                     nn_error *err);
int nn_h5_attr_write_str(hid_t obj, const char *file, const char *objname, const char *name,
                         const char *value, nn_error *err);

/* Attributes that hold members of a struct, described once in a table for
 * the writer and the reader of a file: a number of the kind's C type, or
 * NN_H5_TEXT, a char array (written up to its NUL as a fixed-length
 * string, read back cut to fit the array). */
typedef enum nn_h5_kind {
    NN_H5_TEXT,
    NN_H5_INT,    /* int, stored as int32 */
    NN_H5_INT64,  /* int64_t */
    NN_H5_UINT64, /* uint64_t */
    NN_H5_DOUBLE, /* double, stored as float64 */
} nn_h5_kind;
typedef struct nn_h5_field {
    const char *name; /* of the attribute */
    nn_h5_kind kind;
    size_t offset, size; /* of the member */
} nn_h5_field;
#define NN_H5_FIELD(name, type, member, kind)                               \
    {                                                                       \
        (name), (kind), offsetof(type, member), sizeof(((type *)0)->member) \
    }

/* Write (create) or read the n attributes of table f on obj, in order, from
 * or into the struct at base; stops at the first error. Reading: a missing
 * attribute or one of another kind is NN_E_FORMAT (an integer reads as a
 * double). */
int nn_h5_fields_write(hid_t obj, const char *file, const char *objname, const nn_h5_field *f,
                       int n, const void *base, nn_error *err);
int nn_h5_fields_read(hid_t obj, const char *file, const char *objname, const nn_h5_field *f, int n,
                      void *base, nn_error *err);

/* Read a numeric scalar attribute converted to mtype; the stored type must
 * be of class want (H5T_INTEGER or H5T_FLOAT). Missing: NN_E_FORMAT. */
int nn_h5_attr_read_scalar(hid_t obj, const char *file, const char *objname, const char *name,
                           H5T_class_t want, hid_t mtype, void *buf, nn_error *err);
/* Read a fixed-length string attribute into a malloc'ed NUL-terminated
 * string (variable-length ones are refused: see nn_h5_fixed_utf8). */
int nn_h5_attr_read_str(hid_t obj, const char *file, const char *objname, const char *name,
                        char **out, nn_error *err);

/* "1024x64" */
void nn_h5_format_shape(char *buf, size_t len, int rank, const hsize_t *dims);

#endif
