/* One dataset type for every source: N images of shape C x H x W with an
 * integer class label each. Pixels are kept as loaded (uint8 or float32) and
 * turned into float32 only when a batch is gathered, so MNIST costs 47 MB in
 * memory, not 188 MB.
 *
 * Module data (src/data, nn_data): data sets and their readers. May call:
 * core, io (HDF5 helpers, config types), matio, zlib.
 */
#ifndef NN_DATASET_H
#define NN_DATASET_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "nn/error.h"

#define NN_CLASS_NAME_LEN 32

typedef struct nn_dataset {
    size_t n;    /* number of samples */
    int c, h, w; /* image shape; dim = c*h*w */
    size_t dim;
    uint8_t *u8;     /* [n, dim] bytes, scaled by 1/255 when gathered; or NULL */
    float *f32;      /* [n, dim] floats, used as they are; or NULL */
    int32_t *labels; /* [n], each in [0, num_classes) */
    int num_classes;
    char (*class_names)[NN_CLASS_NAME_LEN]; /* [num_classes], e.g. "A".."Z","0".."9" */
} nn_dataset;

/* Loaders fill *out completely or, on error, leave it zeroed; either way
 * nn_dataset_free(out) is safe. They never print or exit: a failure returns
 * its code with a message "path: what is wrong" in err. Free everything with
 * nn_dataset_free, which also zeroes *d (NULL is fine). */
void nn_dataset_free(nn_dataset *d);

/* IDX files (MNIST, EMNIST, Fashion-MNIST), plain or gzip-compressed (detected
 * from the content, not the name). images: magic 0x00000803, N x H x W uint8;
 * labels: magic 0x00000801, N uint8. Class count = max label + 1, names "0".."9"
 * for 10 classes, otherwise the label numbers. c = 1; pixels stay in u8.
 * Errors: NN_E_IO (cannot open/read), NN_E_FORMAT (wrong magic, sizes beyond
 * 2^31 samples or 4096 pixels a side, truncated, trailing data, corrupt gzip,
 * label and image counts differ), NN_E_CONFIG (a path missing). */
int nn_idx_load(nn_dataset *out, const char *images_path, const char *labels_path, nn_error *err);

/* The NIST36/NIST26 MATLAB files: a variable "<split>_data" (N x 1024, double or
 * single, each row a column-major 32x32 glyph) and "<split>_labels" (N x K
 * one-hot). The split prefix is found in the file (exactly one *_data and its
 * matching *_labels). Glyphs are transposed to row-major so they are upright.
 * Class names: A..Z for K=26, A..Z then 0..9 for K=36, otherwise numbers.
 * Also: any real numeric class for either variable, any square row length
 * (side <= 4096), label = argmax of each row (a row without a positive entry
 * is an error). Pixels are stored in f32 as they are (no rescaling). Only MAT
 * v5 files (MATLAB's default, -v6, -v7; scipy.io.savemat) are read: v7.3
 * (HDF5) files are refused, as HDF5 is not safe on damaged files. */
int nn_mat_load(nn_dataset *out, const char *path, nn_error *err);

/* A real numeric vector variable (1 x N or N x 1, any numeric class) of a
 * MAT v5 file, as doubles: *values (malloc'ed) holds *n entries. Errors:
 * NN_E_IO (missing file), NN_E_FORMAT (not a v5 file, no such variable (the
 * message lists the ones there), not a vector, damaged). */
int nn_mat_load_vector(const char *path, const char *name, double **values, size_t *n,
                       nn_error *err);

/* Deterministic split: a permutation of all->n drawn from seed puts
 * round(valid_fraction * n) samples in *valid and the rest in *train (both are
 * new copies, with the class names, each in the original sample order; all is
 * unchanged). 0 < valid_fraction < 1 and both parts non-empty, else
 * NN_E_CONFIG. The same seed gives the same split on every machine. */
int nn_dataset_split(nn_dataset *train, nn_dataset *valid, const nn_dataset *all,
                     double valid_fraction, uint64_t seed, nn_error *err);

/* Keep a subset of `limit` samples ([data] limit), in place: stratified by
 * class (each class keeps floor or ceil of limit times its share of d->n;
 * the remainder goes to the classes with the largest fractional parts, ties
 * drawn from seed), the samples of each class drawn uniformly from seed,
 * the kept ones in their original order. A pure function of (seed, the
 * samples' labels and order): the same subset on every rank and machine.
 * limit == 0 or >= d->n: no change. The memory of the dropped samples stays
 * allocated until nn_dataset_free. NN_E_NOMEM only. */
int nn_dataset_limit(nn_dataset *d, size_t limit, uint64_t seed, nn_error *err);

/* Transpose every image in place (EMNIST stores glyphs transposed); h and w
 * swap. Cannot fail: non-square images are done without scratch memory. */
void nn_dataset_transpose(nn_dataset *d);

/* Replace class names (e.g. from the config); count must equal num_classes. */
int nn_dataset_set_class_names(nn_dataset *d, const char *const *names, int count, nn_error *err);

/* Copy samples idx[0..count) into x [count, dim] as float32 (bytes / 255,
 * floats as stored; multiplied by -1 and shifted by +1 when invert is set, so
 * ink/background polarity can be flipped) and their labels into y [count]
 * (y may be NULL). Every idx must be < d->n (checked only by assert). */
void nn_dataset_gather(const nn_dataset *d, const size_t *idx, size_t count, int invert, float *x,
                       int32_t *y);

/* Mean and standard deviation of every channel over all of d's samples,
 * in gather units (bytes / 255, floats as stored), into mean [d->c] and
 * std [d->c] (population std; 0 for a constant channel). */
void nn_dataset_channel_stats(const nn_dataset *d, double *mean, double *std);

/* ---- input views: crop, flip, normalisation at gather time ---------------- */

#define NN_VIEW_MAX_CHANNELS 16

/* How stored images become network inputs. crop > 0 takes a crop x crop
 * square: at a random position per sample when training, the centre
 * otherwise; flip mirrors half of the training samples left to right (the
 * choice drawn per sample). Crop position and flip come from (seed, epoch,
 * sample id) alone, like nn_augment_images, so they do not depend on the
 * rank, the rank count or the batch. normalize: each value v (after
 * invert) becomes (v - mean[ch]) / std[ch]. All zero: nn_dataset_gather. */
typedef struct nn_view {
    int invert;
    int crop; /* square side; 0: the whole image */
    int flip;
    int normalize;
    float mean[NN_VIEW_MAX_CHANNELS], std[NN_VIEW_MAX_CHANNELS];
} nn_view;

/* The randomness of one gather: training draws crops and flips from
 * (seed, epoch, id); evaluation (training = 0) takes the centre and no flip. */
typedef struct nn_view_draw {
    int training;
    uint64_t seed;
    int64_t epoch;
} nn_view_draw;

/* The input shape v makes of d's images: (c, crop, crop) or d's own. */
void nn_view_shape(const nn_dataset *d, const nn_view *v, int *c, int *h, int *w);
/* v fits d: the crop is no larger than the images, normalisation has
 * a mean and a positive std for each of d's at most NN_VIEW_MAX_CHANNELS
 * channels. NN_E_CONFIG with what is wrong (the caller names the file). */
int nn_view_check(const nn_dataset *d, const nn_view *v, nn_error *err);
/* Where sample id's crop starts and whether it is flipped. */
void nn_view_place(const nn_dataset *d, const nn_view *v, const nn_view_draw *r, size_t id, int *y0,
                   int *x0, int *flip);
/* Like nn_dataset_gather, through v: x is [count, c, h, w] of nn_view_shape;
 * the samples' ids are their indices idx[i]. */
void nn_dataset_gather_view(const nn_dataset *d, const nn_view *v, const nn_view_draw *r,
                            const size_t *idx, size_t count, float *x, int32_t *y);

/* nntrain's own HDF5 data set files, written by `nntrain prep` (layout in
 * docs/dataset-format.md): root attributes format = "nntrain-dataset" and
 * format_version; /classes, K variable-length strings (label k is
 * /classes[k]); per split ("train", "valid", "test") a group with
 * images uint8 [N, H, W] (or [N, C, H, W]) and labels int32 [N] in [0, K);
 * optionally source int32 [N] (index into /sources) and /preprocess, a group
 * whose float64 attributes record how the glyphs were made. Pixels stay in
 * u8 (gathered as bytes / 255). */
#define NN_H5DATA_FORMAT  "nntrain-dataset"
#define NN_H5DATA_VERSION 1
#define NN_H5DATA_SPLITS  3 /* train, valid, test */

/* Load split ("train", "valid" or "test") of path into *out. Errors:
 * NN_E_IO (missing, unreadable), NN_E_FORMAT (not HDF5, not this format or a
 * newer version, no such split (the message lists the ones there), wrong
 * types or shapes, sizes beyond the caps, more pixels claimed than the file
 * can hold, labels out of range), NN_E_NOMEM. */
int nn_h5data_load(nn_dataset *out, const char *path, const char *split, nn_error *err);

/* The same without pixels and labels: n, c, h, w, dim, num_classes and
 * class_names of the split (u8 and labels stay NULL). For tools that need
 * the shape and the class names only (the OCR). */
int nn_h5data_load_header(nn_dataset *out, const char *path, const char *split, nn_error *err);

typedef struct nn_h5data_param {
    const char *name; /* attribute name under /preprocess */
    double value;
} nn_h5data_param;

typedef struct nn_h5data_contents {
    const nn_dataset *split[NN_H5DATA_SPLITS]; /* train, valid, test: u8 pixels; NULL = absent.
                                                  All present ones share shape and classes. */
    const int32_t *source[NN_H5DATA_SPLITS];   /* [n] index into source_names, or NULL */
    const char *const *source_names;           /* [n_sources] */
    int n_sources;
    const nn_h5data_param *params; /* [n_params], written under /preprocess */
    int n_params;
    const char *description; /* root attribute; may be NULL */
    const char *config_text; /* root attribute "config"; may be NULL */
} nn_h5data_contents;

/* Write a data set file atomically (a temporary, then rename): images
 * chunked and deflate-compressed, the training split's per-channel mean
 * and std as /train attributes (nn_h5data_read_channel_stats). An empty split (NULL or n = 0) is left out
 * of the file; the training split must have samples. NN_E_STATE for
 * inconsistent contents, NN_E_IO on write. */
int nn_h5data_save(const char *path, const nn_h5data_contents *c, nn_error *err);

/* Read the /preprocess attributes names[0..n) into values. A missing one
 * is NN_E_FORMAT naming it. */
int nn_h5data_read_params(const char *path, const char *const *names, double *values, int n,
                          nn_error *err);

/* The per-channel statistics of the training split that nn_h5data_save
 * stores as the /train attributes channel_mean and channel_std (float64
 * [C], gather units: bytes / 255), for c channels. A file without them:
 * NN_E_FORMAT saying so (made before they were stored). */
int nn_h5data_read_channel_stats(const char *path, int c, double *mean, double *std, nn_error *err);

/* "train", "valid", "test" for 0, 1, 2. */
const char *nn_h5data_split_name(int i);
/* On-the-fly augmentation of training images: a random shift (up to `shift`
 * pixels in x and in y), rotation (up to `rotate` degrees either way) and
 * scale (a factor in [1 - scale, 1 + scale]) about the image centre, with
 * bilinear interpolation; pixels that come from outside the image repeat
 * its nearest edge pixel (right for ink on a plain background of either
 * polarity). All zero: no change. */
typedef struct nn_augment {
    double shift, rotate, scale;
} nn_augment;

static inline int nn_augment_active(const nn_augment *a)
{
    return a->shift > 0 || a->rotate > 0 || a->scale > 0;
}

/* Distort each image of x [count, c, h, w] in place; sample i's distortion
 * is drawn from (seed, epoch, ids[i]) alone, so it does not depend on the
 * rank, the rank count or the batch the sample lands in. All channels of a
 * sample move together. scratch holds [c * h * w] floats. */
void nn_augment_images(float *x, size_t count, int c, int h, int w, const size_t *ids,
                       const nn_augment *a, uint64_t seed, int64_t epoch, float *scratch);

/* ---- building data sets (`nntrain prep`; src/data/prep, library nn_prep) - */

/* Build an .h5 data set file from the sources a prep config names (see
 * docs/ocr.md for the keys), printing a summary to out. Config errors are
 * "file:line: message" with NN_E_CONFIG. */
int nn_prep_main(const char *config_path, const char *const *overrides, int n_overrides, FILE *out,
                 nn_error *err);

/* The prep config's key reference as Markdown, generated from the key table
 * that drives the parser (`nntrain prep --help-config`; docs/ocr.md quotes it
 * and a test checks that it does). Static storage. */
const char *nn_prep_reference(void);

#endif
