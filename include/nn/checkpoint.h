/* HDF5 checkpoints. The trainer describes what to save as a list of named
 * float32 tensors ("model/fc1/W", "optim/m/fc1/W", ...) plus a few scalars;
 * this module knows nothing about networks.
 *
 * File layout (read it with `h5dump -H checkpoint.h5`):
 *   /                      attributes: format = "nntrain-checkpoint",
 *                          format_version (int), nntrain_version, hdf5_version,
 *                          epoch, step, global_step (int64), seed (uint64),
 *                          world_size (int), lr (double), config (the config
 *                          text), config_path
 *   /model/<layer>/W, b    float32 datasets (little-endian, chunked, with a
 *                          Fletcher32 checksum per chunk); each with an int64
 *                          attribute "shape" (= its dimensions)
 *   /optim/<state>/<layer>/<param>   optimizer state, same shapes
 * Every tensor name becomes the dataset path; intermediate groups are created.
 * Strings are fixed-length UTF-8 scalars. The file uses HDF5's 1.8 object
 * format, whose headers, heaps and trees carry checksums as well.
 * Format 1 (older nntrain) stored contiguous tensors without checksums; it is
 * still read, but damage to it cannot be detected.
 * Full description with an h5dump excerpt: docs/checkpoint-format.md.
 *
 * Module io (src/io, nn_io); see config.h for what io may call.
 */
#ifndef NN_CHECKPOINT_H
#define NN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "nn/error.h"

#define NN_CKPT_FORMAT         "nntrain-checkpoint"
#define NN_CKPT_FORMAT_VERSION 2
/* The first format whose tensors carry checksums. */
#define NN_CKPT_CHECKSUM_VERSION 2
/* Most checkpoints kept by nn_checkpoint_save_keep (the latest included). */
#define NN_CKPT_MAX_KEEP   100
#define NN_TENSOR_NAME_LEN 128
#define NN_TENSOR_MAX_RANK 4

typedef struct nn_named_tensor {
    char name[NN_TENSOR_NAME_LEN];     /* dataset path, e.g. "model/fc1/W": '/'-separated,
                                               no empty, "." or ".." parts; a leading '/' is
                                               allowed; unique (and no name is a prefix
                                               group of another, e.g. "a/b" and "a/b/c") */
    int rank;                          /* 1..NN_TENSOR_MAX_RANK */
    uint64_t dims[NN_TENSOR_MAX_RANK]; /* row-major shape */
    float *data;                       /* prod(dims) floats, owned by the caller */
} nn_named_tensor;

typedef struct nn_checkpoint {
    nn_named_tensor *tensors; /* owned by the caller */
    int n_tensors;
    int64_t epoch;       /* epochs completed */
    int64_t step;        /* steps completed inside the current epoch */
    int64_t global_step; /* steps completed since the start of training */
    uint64_t seed;
    int world_size;          /* ranks that wrote it (informational) */
    double lr;               /* learning rate of the last step */
    const char *config_text; /* save: borrowed; load: not touched */
    const char *config_path;
    int format_version; /* load: the file's format_version; save: ignored */
} nn_checkpoint;

/* What nn_checkpoint_verify found. */
typedef struct nn_checkpoint_info {
    int format_version;
    int n_tensors;     /* datasets read in full */
    int n_checksummed; /* of those, stored with a checksum (format 2: all) */
    int64_t epoch, step, global_step;
} nn_checkpoint_info;

/* Write ck to path atomically: the data go to "<path>.tmp", the file is
 * closed and fsync'ed, then renamed over path (and the folder fsync'ed). On
 * any failure path is left as it was and the temporary file is removed
 * (the one exception: the folder fsync after the rename fails; then path
 * already holds the new checkpoint and the error says so). Every tensor must
 * have rank 1..NN_TENSOR_MAX_RANK, non-zero dims and data. Errors:
 * NN_E_STATE for bad arguments, NN_E_IO for file system trouble (missing or
 * read-only folder, disk full). Call from one rank only. */
int nn_checkpoint_save(const char *path, const nn_checkpoint *ck, nn_error *err);

/* nn_checkpoint_save that keeps the keep - 1 previous checkpoints too
 * (keep 1..NN_CKPT_MAX_KEEP): once the new file is complete and fsync'ed,
 * <stem>.1.h5 moves to <stem>.2.h5 and so on, path is hard-linked as
 * <stem>.1.h5 (swapped in by a rename), and the new file is renamed over
 * path; backups numbered keep and above are removed. path always names a
 * complete checkpoint (on a file system without hard links path is moved to
 * <stem>.1.h5 instead, and is missing for a moment); each <stem>.<n>.h5 is
 * complete as well. keep = 1 is nn_checkpoint_save plus that clean-up. */
int nn_checkpoint_save_keep(const char *path, int keep, const nn_checkpoint *ck, nn_error *err);

/* The name of the n-th previous checkpoint kept beside path: n = 0 is path,
 * "runs/x/checkpoint.h5" with n = 2 gives "runs/x/checkpoint.2.h5" (a name
 * not ending in ".h5" gets ".2" appended). NN_E_STATE when out is too short. */
int nn_checkpoint_backup_name(const char *path, int n, char *out, size_t len, nn_error *err);

/* Read every dataset of the file in full (each chunk's checksum checked by
 * HDF5), check that format 2 tensors all carry checksums, that each
 * dataset's "shape" attribute matches it, and the root attributes. Errors
 * name the file and what is damaged, e.g. "x.h5: dataset /model/fc1/W:
 * checksum mismatch (the file is damaged)" (NN_E_FORMAT), or NN_E_IO when it
 * cannot be read at all. info may be NULL. A format 1 file passes with
 * info->n_checksummed == 0: it has nothing to check against. Every load
 * function below runs these checks before it reads a tensor, so a damaged
 * tensor anywhere in the file stops them. */
int nn_checkpoint_verify(const char *path, nn_checkpoint_info *info, nn_error *err);

/* One line for a reader of a checkpoint of format format_version that has
 * no checksums ("format 1 checkpoint: ..."); NULL when it has them. */
const char *nn_checkpoint_version_note(int format_version);

/* Read a checkpoint into ck: every tensor in ck->tensors must exist in the
 * file with exactly the same shape (its data are overwritten); the scalars
 * are filled in (config_text/config_path are not touched). Errors name the
 * file and the dataset: NN_E_IO (missing, unreadable), NN_E_FORMAT (not
 * HDF5, damaged, wrong format attribute, newer format_version, missing
 * dataset, shape mismatch, a checksum mismatch anywhere in the file: see
 * nn_checkpoint_verify). After an error the contents of ck are
 * unspecified. A checkpoint may hold more tensors than ck asks for (e.g.
 * fine-tuning reads only model/ tensors). */
int nn_checkpoint_load(const char *path, nn_checkpoint *ck, nn_error *err);

/* Fine-tuning: read each tensor of list[0..n) that the file holds with the
 * same shape; status[i] says what happened (data untouched unless COPIED)
 * and found[i] gets the file's rank and dims when it has the dataset (data
 * NULL). Fails only when the file is not a readable checkpoint (including
 * any damage nn_checkpoint_verify finds), or a dataset of the right shape
 * cannot be read. */
enum { NN_CKPT_COPIED = 0, NN_CKPT_MISSING = 1, NN_CKPT_SHAPE = 2 };
int nn_checkpoint_load_matching(const char *path, nn_named_tensor *list, int n, int *status,
                                nn_named_tensor *found, nn_error *err);

/* Read one tensor of any shape (rank 1..4) by name, e.g. "model/fc1/W";
 * out->data is malloc'ed (caller frees). */
int nn_checkpoint_read_tensor(const char *path, const char *name, nn_named_tensor *out,
                              nn_error *err);

/* Read only the stored config text (malloc'ed, caller frees; the format
 * attributes are checked as in load, the tensors are not read: the file's
 * metadata checksums cover the attribute). */
int nn_checkpoint_read_config(const char *path, char **config_text, nn_error *err);

#endif
