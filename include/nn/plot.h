/* Figures as PNG files drawn with PLplot: curves, confusion matrices,
 * weight images and rows of small images. Depends only on core.
 *
 * Module plot (src/plot, nn_plot). May call: core and PLplot.
 */
#ifndef NN_PLOT_H
#define NN_PLOT_H

#include <stdint.h>

#include "nn/error.h"

/* ---- plot ------------------------------------------------------------------ */

/* Figures as PNG files, drawn with PLplot's cairo driver: axes, ticks,
 * labels, legends and colour bars are the library's work. Every function
 * writes one PNG and returns NN_OK or an error naming the file:
 *   NN_E_CONFIG  no file name (NULL, "" or "-")
 *   NN_E_IO      the file cannot be written (missing folder, ...) or PLplot
 *                failed; no partial file is left behind
 *   NN_E_STATE   the data cannot be drawn (n < 1, every value NaN, K < 1, ...)
 *   NN_E_NOMEM   out of memory
 * Nothing is printed and nothing exits. Figures can be made one after another
 * in one process; PLplot is global, so make them from one thread at a time
 * (in an MPI job: on one rank). Titles and labels are UTF-8 and drawn as
 * given ('#', PLplot's escape character, is drawn as itself). Page sizes: curves 900x600,
 * training curves 1400x600, confusion 1000x900, weight grid 900x940. */
/* One curve: y[i] at x[i], i < n; NaN / Inf values are gaps (not drawn). */
typedef struct nn_curve {
    const char *label; /* legend text */
    const double *x, *y;
    int n;
} nn_curve;

/* A line chart of several curves (at most 32) on shared axes, with a
 * legend; each curve has its own colour and dash pattern. The axes fit the
 * finite values; a curve with no finite value is left out (also from the
 * legend), and it is an error when every curve is empty. */
int nn_plot_curves(const char *png_path, const char *title, const char *xlabel, const char *ylabel,
                   const nn_curve *curves, int n_curves, nn_error *err);

/* Training curves of one run in one figure: loss (left panel) and accuracy
 * (right panel) per epoch, train (solid) vs valid (dashed). Any of the four
 * series may be NULL; a series that is NULL or all NaN is left out, and a
 * panel without values says so (an autoencoder has no accuracy). epoch may
 * be NULL (1..n). Error when no series has a finite value. */
int nn_plot_training_curves(const char *png_path, const char *title, const double *epoch,
                            const double *train_loss, const double *valid_loss,
                            const double *train_acc, const double *valid_acc, int n, nn_error *err);

/* Confusion matrix as a heat map (K <= 1000): conf[t*K + p] = samples of true class t
 * predicted as p; rows are normalised to fractions for the colours (an
 * empty row stays white); true classes top to bottom, predicted left to
 * right; class names on both axes (class_names may be NULL: numbers); a
 * colour bar; the fractions written in the cells when K <= 12; overall
 * accuracy under the title. */
int nn_plot_confusion(const char *png_path, const char *title, const int64_t *conf, int K,
                      const char (*class_names)[32], nn_error *err);

/* A grid of images, one per column of W [pixels, units] (a dense layer's
 * weights, pixels = h*w, pixel index = row*w + col): unit j's incoming
 * weights shown as an h x w grey image (black = its min, white = its max),
 * each image scaled to its own range, in a near-square grid (64 -> 8 x 8).
 * Weights must be finite; at most 4096 units. */
int nn_plot_weight_grid(const char *png_path, const char *title, const float *W, int h, int w,
                        int units, nn_error *err);

/* ---- plot_images ----------------------------------------------------------- */

/* Rows of small grey images with a label per row and per column: originals
 * over their reconstructions (autoencoder, PCA at several k). Drawn with
 * PLplot like the other figures (see nn/plot.h for the error codes). */
#define NN_IMAGE_ROWS_MAX 16
#define NN_IMAGE_COLS_MAX 32

typedef struct nn_image_rows {
    const float *pixels;           /* [rows, cols, h, w]: image (r, c) at (r*cols + c)*h*w,
                                       row-major pixels on the [0, 1] scale (0 black, 1 white;
                                       values outside are drawn as 0 or 1) */
    int rows, cols, h, w;          /* rows <= 16, cols <= 32, h and w <= 256 */
    const char *const *row_labels; /* [rows], left of each row; NULL: none */
    const char *const *col_labels; /* [cols], above each column; NULL: none */
} nn_image_rows;

/* One PNG; the page size follows from the grid (tiles up to 96 pixels a
 * side, at most about 1400 pixels wide). Pixels must be finite. */
int nn_plot_image_rows(const char *png_path, const char *title, const nn_image_rows *g,
                       nn_error *err);

#endif
