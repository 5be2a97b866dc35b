/* Evaluation results of a model on one data split: loss, accuracy and the
 * confusion matrix, kept in <run>/eval_<split>.h5 so figures can be redrawn
 * from files alone.
 *
 * Layout: root attributes format = "nntrain-eval", format_version (int),
 * split, checkpoint (strings), loss, accuracy (float64), count (int64);
 * datasets /confusion int64 [K, K] (row = true class, column = predicted),
 * /per_class_accuracy float64 [K] (NaN for a class with no sample),
 * /class_names string [K]. */
#ifndef NN_EVALFILE_H
#define NN_EVALFILE_H

#include <stdint.h>
#include <stdio.h>

#include "nn/error.h"

#define NN_EVAL_FORMAT "nntrain-eval"

typedef struct nn_eval_result {
    char split[64];              /* "test", "valid", "train" or a file name */
    char checkpoint[1024];       /* the checkpoint evaluated (may be "") */
    int num_classes;             /* K */
    double loss, accuracy;
    int64_t count;
    int64_t *confusion;          /* [K * K], true-major; malloc'ed */
    char (*class_names)[32];     /* [K]; malloc'ed */
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

#endif
