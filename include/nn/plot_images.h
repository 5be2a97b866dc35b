/* Rows of small grey images with a label per row and per column: originals
 * over their reconstructions (autoencoder, PCA at several k). Drawn with
 * PLplot like the other figures (see nn/plot.h for the error codes). */
#ifndef NN_PLOT_IMAGES_H
#define NN_PLOT_IMAGES_H

#include "nn/error.h"

#define NN_IMAGE_ROWS_MAX 16
#define NN_IMAGE_COLS_MAX 32

typedef struct nn_image_rows {
    const float *pixels;            /* [rows, cols, h, w]: image (r, c) at (r*cols + c)*h*w,
                                       row-major pixels on the [0, 1] scale (0 black, 1 white;
                                       values outside are drawn as 0 or 1) */
    int rows, cols, h, w;           /* rows <= 16, cols <= 32, h and w <= 256 */
    const char *const *row_labels;  /* [rows], left of each row; NULL: none */
    const char *const *col_labels;  /* [cols], above each column; NULL: none */
} nn_image_rows;

/* One PNG; the page size follows from the grid (tiles up to 96 pixels a
 * side, at most about 1400 pixels wide). Pixels must be finite. */
int nn_plot_image_rows(const char *png_path, const char *title, const nn_image_rows *g,
                       nn_error *err);

#endif
