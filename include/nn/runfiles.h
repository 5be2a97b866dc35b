/* The HDF5 files a run writes besides its checkpoints: per-epoch metrics,
 * evaluation results with the confusion matrix, PCA models and autoencoder
 * reconstructions. Each is read back by `nntrain plot` and by the tests.
 *
 * Module io (src/io, nn_io); see config.h for what io may call.
 */
#ifndef NN_RUNFILES_H
#define NN_RUNFILES_H

#include <stdint.h>
#include <stdio.h>

#include "nn/error.h"

/* ---- metrics --------------------------------------------------------------- */

/* Per-epoch metrics in HDF5: one extendible 1-D dataset per quantity, a row
 * per epoch, flushed after every append so a crash loses at most the current
 * epoch. Layout: /epoch (int64), /train_loss, /train_acc, /valid_loss,
 * /valid_acc, /lr, /seconds, /samples_per_sec, /valid_psnr (float64), each chunked (64
 * rows) with maximum size H5S_UNLIMITED and a "description" attribute; root
 * attributes format = "nntrain-metrics", format_version (int).
 * Written by one rank only. See docs/checkpoint-format.md. */
#define NN_METRICS_FORMAT         "nntrain-metrics"
#define NN_METRICS_FORMAT_VERSION 1

typedef struct nn_epoch_metrics {
    int64_t epoch; /* 1-based epoch number */
    double train_loss, train_acc;
    double valid_loss, valid_acc; /* NaN when there is no validation set */
    double lr;
    double seconds;         /* wall time of the epoch (training + validation) */
    double samples_per_sec; /* training samples per second over all ranks */
    double valid_psnr;      /* autoencoders: mean PSNR (dB) of the validation images; NaN
                                 otherwise (and in files written before it existed) */
} nn_epoch_metrics;

typedef struct nn_metrics nn_metrics;

/* Open path for appending. keep_epochs < 0: start a new file (replacing any
 * old one). keep_epochs >= 0 (resume): keep an existing file but drop rows
 * whose epoch > keep_epochs (they were written after the checkpoint being
 * resumed); create the file if it does not exist. An existing file that is
 * not an nntrain metrics file, or whose datasets are missing, of another
 * kind or of different lengths, is an error (NN_E_FORMAT), never replaced.
 * On error *m is NULL. */
int nn_metrics_open(nn_metrics **m, const char *path, int64_t keep_epochs, nn_error *err);
/* Add one row to every dataset and flush the file. On error the datasets
 * are put back to their previous length where possible. */
int nn_metrics_append(nn_metrics *m, const nn_epoch_metrics *row, nn_error *err);
/* Close the file (m may be NULL). */
void nn_metrics_close(nn_metrics *m);

/* Read all rows (for tests and plotting). *rows is malloc'ed (NULL when the
 * file has no rows); caller frees. */
int nn_metrics_read(const char *path, nn_epoch_metrics **rows, int64_t *count, nn_error *err);

/* ---- evalfile -------------------------------------------------------------- */

/* Evaluation results of a model on one data split: loss, accuracy and the
 * confusion matrix, kept in <run>/eval_<split>.h5 so figures can be redrawn
 * from files alone.
 *
 * Layout: root attributes format = "nntrain-eval", format_version (int),
 * split, checkpoint (strings), loss, accuracy (float64), count (int64);
 * datasets /confusion int64 [K, K] (row = true class, column = predicted),
 * /per_class_accuracy float64 [K] (NaN for a class with no sample),
 * /class_names string [K]. */
#define NN_EVAL_FORMAT "nntrain-eval"

typedef struct nn_eval_result {
    char split[64];        /* "test", "valid", "train" or a file name */
    char checkpoint[1024]; /* the checkpoint evaluated (may be "") */
    int num_classes;       /* K */
    double loss, accuracy;
    int64_t count;
    int64_t *confusion;      /* [K * K], true-major; malloc'ed */
    char (*class_names)[32]; /* [K]; malloc'ed */
} nn_eval_result;

/* Allocate an empty result for K classes (names "0".."K-1" until set). */
int nn_eval_alloc(nn_eval_result *r, int K, nn_error *err);
void nn_eval_free(nn_eval_result *r);

/* Accuracy of class k (NaN when no sample of class k was seen). */
double nn_eval_class_accuracy(const nn_eval_result *r, int k);

int nn_eval_save(const char *path, const nn_eval_result *r, nn_error *err);
int nn_eval_load(const char *path, nn_eval_result *r, nn_error *err);

/* Loss, accuracy, per-class accuracy and the `top` most confused pairs. */
void nn_eval_print(const nn_eval_result *r, FILE *f, int top);

/* ---- pcafile --------------------------------------------------------------- */

/* A PCA model and its results, kept in <out>/pca.h5 by `nntrain pca`.
 *
 * Layout (h5dump -H pca.h5): root attributes format = "nntrain-pca",
 * format_version (int32), n_train, covariance_rank, height, width (int64),
 * config (the resolved config), config_path (fixed-length strings);
 * datasets
 *   /mean             float32 [D]        mean training image
 *   /components       float32 [kmax, D]  principal directions, one per row,
 *                                        unit length, by decreasing variance;
 *                                        the projection matrix for k is the
 *                                        first k rows (k x D)
 *   /eigenvalues      float64 [D]        covariance eigenvalues, descending
 *   /k                int64 [nk]         code sizes evaluated
 *   /projection_rank  int64 [nk]         numerical rank of each k x D projection
 *   /params           int64 [nk]         k x D: numbers in the projection matrix
 *   /valid_psnr, /test_psnr  float64 [nk]  mean PSNR (dB); NaN: no such split
 * D = height x width pixels. */
#define NN_PCA_FORMAT "nntrain-pca"
#define NN_PCA_MAX_K  16

typedef struct nn_pca_model {
    int64_t dim, height, width; /* D = height * width */
    int64_t n_train;            /* images the covariance came from */
    int64_t kmax;               /* rows of components */
    float *mean;                /* [D] */
    float *components;          /* [kmax, D] */
    double *eigenvalues;        /* [D], descending */
    int64_t cov_rank;           /* numerical rank of the covariance */
    int n_k;
    int64_t k[NN_PCA_MAX_K];
    int64_t proj_rank[NN_PCA_MAX_K];
    double valid_psnr[NN_PCA_MAX_K], test_psnr[NN_PCA_MAX_K];
    const char *config_text; /* save only (borrowed; may be NULL) */
    char config_path[1024];
} nn_pca_model;

/* Allocate mean, components and eigenvalues for dim and kmax (the rest
 * zeroed). nn_pca_model_free releases them (safe on a zeroed model). */
int nn_pca_model_alloc(nn_pca_model *m, int64_t dim, int64_t kmax, nn_error *err);
void nn_pca_model_free(nn_pca_model *m);

/* Written atomically (tmp + fsync + rename), by one rank. */
int nn_pca_save(const char *path, const nn_pca_model *m, nn_error *err);
/* Errors name the file: NN_E_IO (missing), NN_E_FORMAT (not a PCA file,
 * damaged, inconsistent shapes). */
int nn_pca_load(const char *path, nn_pca_model *m, nn_error *err);

/* ---- reconfile ------------------------------------------------------------- */

/* Evaluation of an autoencoder on one data split, kept in
 * <run>/recon_<split>.h5 (the reconstruction counterpart of eval_<split>.h5).
 *
 * Layout: root attributes format = "nntrain-recon", format_version (int32),
 * split, checkpoint (fixed-length strings), loss (mean squared error per
 * pixel), psnr (mean PSNR in dB, see nn/recon.h) (float64), count,
 * code_width (the narrowest layer), params (parameters of the network)
 * (int64); dataset /psnr float64 [count], each image's PSNR in the split's
 * order. */
#define NN_RECON_FORMAT "nntrain-recon"

typedef struct nn_recon_result {
    char split[64];        /* "test", "valid", "train" or a file name */
    char checkpoint[1024]; /* the checkpoint evaluated (may be "") */
    double loss, psnr;
    int64_t count, code_width, params;
    double *image_psnr; /* [count], malloc'ed (NULL after nn_recon_free) */
} nn_recon_result;

int nn_recon_save(const char *path, const nn_recon_result *r, nn_error *err);
/* Errors name the file: NN_E_IO (missing), NN_E_FORMAT (not this format, damaged). */
int nn_recon_load(const char *path, nn_recon_result *r, nn_error *err);
void nn_recon_free(nn_recon_result *r);

/* ---- predictions ------------------------------------------------------------ */

/* What `nntrain predict` writes: a network's scores for every sample of a
 * data file. Layout: root attributes format = "nntrain-predictions",
 * format_version (int), checkpoint, data, split and outputs (strings);
 * /logits float32 [N, K] (the output layer's input to its softmax, or its
 * output when it has none: outputs says "logits" or "outputs"), /pred int32
 * [N] (the argmax of each row), /labels int32 [N] (the data file's labels,
 * when it has them) and /class_names [K] (fixed-length strings, when known).
 * Written atomically by one rank. */
#define NN_PRED_FORMAT "nntrain-predictions"

typedef struct nn_predictions {
    int64_t n;
    int num_classes;
    const float *logits;               /* [n, num_classes] */
    const int32_t *pred;               /* [n] */
    const int32_t *labels;             /* [n] or NULL */
    const char (*class_names)[32];     /* [num_classes] or NULL */
    char checkpoint[1024], data[1024]; /* where they came from */
    char split[32];                    /* "test", ... */
    char outputs[16];                  /* "logits" or "outputs" */
} nn_predictions;

int nn_predictions_save(const char *path, const nn_predictions *p, nn_error *err);

#endif
