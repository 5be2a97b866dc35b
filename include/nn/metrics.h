/* Per-epoch metrics in HDF5: one extendible 1-D dataset per quantity, a row
 * per epoch, flushed after every append so a crash loses at most the current
 * epoch. Layout: /epoch (int64), /train_loss, /train_acc, /valid_loss,
 * /valid_acc, /lr, /seconds, /samples_per_sec (float64). */
#ifndef NN_METRICS_H
#define NN_METRICS_H

#include <stdint.h>

#include "nn/error.h"

typedef struct nn_epoch_metrics {
    int64_t epoch;            /* 1-based epoch number */
    double train_loss, train_acc;
    double valid_loss, valid_acc;   /* NaN when there is no validation set */
    double lr;
    double seconds;           /* wall time of the epoch (training + validation) */
    double samples_per_sec;   /* training samples per second over all ranks */
} nn_epoch_metrics;

typedef struct nn_metrics nn_metrics;

/* Open path for appending. keep_epochs < 0: start a new file (replacing any
 * old one). keep_epochs >= 0 (resume): keep an existing file but drop rows
 * whose epoch > keep_epochs (they were written after the checkpoint being
 * resumed); create the file if it does not exist. */
int nn_metrics_open(nn_metrics **m, const char *path, int64_t keep_epochs, nn_error *err);
int nn_metrics_append(nn_metrics *m, const nn_epoch_metrics *row, nn_error *err);
void nn_metrics_close(nn_metrics *m);

/* Read all rows (for tests and plotting). *rows is malloc'ed. */
int nn_metrics_read(const char *path, nn_epoch_metrics **rows, int64_t *count, nn_error *err);

#endif
