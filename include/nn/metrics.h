/* Per-epoch metrics in HDF5: one extendible 1-D dataset per quantity, a row
 * per epoch, flushed after every append so a crash loses at most the current
 * epoch. Layout: /epoch (int64), /train_loss, /train_acc, /valid_loss,
 * /valid_acc, /lr, /seconds, /samples_per_sec, /valid_psnr (float64), each chunked (64
 * rows) with maximum size H5S_UNLIMITED and a "description" attribute; root
 * attributes format = "nntrain-metrics", format_version (int).
 * Written by one rank only. See docs/checkpoint-format.md. */
#ifndef NN_METRICS_H
#define NN_METRICS_H

#include <stdint.h>

#include "nn/error.h"

#define NN_METRICS_FORMAT "nntrain-metrics"
#define NN_METRICS_FORMAT_VERSION 1

typedef struct nn_epoch_metrics {
    int64_t epoch;            /* 1-based epoch number */
    double train_loss, train_acc;
    double valid_loss, valid_acc;   /* NaN when there is no validation set */
    double lr;
    double seconds;           /* wall time of the epoch (training + validation) */
    double samples_per_sec;   /* training samples per second over all ranks */
    double valid_psnr;        /* autoencoders: mean PSNR (dB) of the validation images; NaN
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

#endif
