/* Figures as PNG files, drawn with PLplot's cairo driver: axes, ticks,
 * labels, legends and colour bars are the library's work. Every function
 * writes one PNG and returns NN_OK or an error naming the file. */
#ifndef NN_PLOT_H
#define NN_PLOT_H

#include <stdint.h>

#include "nn/error.h"

/* One curve: y[i] at x[i], i < n; NaN values are gaps (not drawn). */
typedef struct nn_curve {
    const char *label;        /* legend text */
    const double *x, *y;
    int n;
} nn_curve;

/* A line chart of several curves on shared axes, with a legend. */
int nn_plot_curves(const char *png_path, const char *title, const char *xlabel,
                   const char *ylabel, const nn_curve *curves, int n_curves, nn_error *err);

/* Training curves of one run in one figure: loss (left panel) and accuracy
 * (right panel) per epoch, train vs valid (valid omitted when all NaN). */
int nn_plot_training_curves(const char *png_path, const char *title, const double *epoch,
                            const double *train_loss, const double *valid_loss,
                            const double *train_acc, const double *valid_acc, int n,
                            nn_error *err);

/* Confusion matrix as a heat map: conf[t*K + p] = samples of true class t
 * predicted as p; rows are normalised to fractions for the colours; class
 * names on both axes; a colour bar. */
int nn_plot_confusion(const char *png_path, const char *title, const int64_t *conf, int K,
                      const char (*class_names)[32], nn_error *err);

/* A grid of images, one per column of W [pixels, units] (a dense layer's
 * weights, pixels = h*w): unit j's incoming weights shown as an h x w image,
 * each image scaled to its own range, in a near-square grid. */
int nn_plot_weight_grid(const char *png_path, const char *title, const float *W, int h, int w,
                        int units, nn_error *err);

#endif
