/* Shared PLplot set-up for the figure module (not a public header).
 *
 * PLplot keeps one global state and, on a fatal error, calls exit() unless
 * the exit handler never returns. So every figure is drawn by
 * nn_plot_render(), which owns the whole PLplot session: it checks that the
 * file can be written, starts a pngcairo page, calls the figure's draw
 * function, ends PLplot (plend) and checks the PNG it wrote. A fatal PLplot
 * error longjmps back into nn_plot_render, which cleans up and returns an
 * error. Because of that longjmp, draw functions must not own resources:
 * allocate everything before nn_plot_render and free it afterwards.
 *
 * Not thread-safe (neither is PLplot): make figures from one thread. */
#ifndef NN_PLOT_INTERNAL_H
#define NN_PLOT_INTERNAL_H

#include <plplot.h>
#include <stddef.h>

#include "nn/error.h"

/* Page sizes in pixels of each kind of figure. */
#define NN_PLOT_CURVES_W    900
#define NN_PLOT_CURVES_H    600
#define NN_PLOT_TRAINING_W  1400
#define NN_PLOT_TRAINING_H  600
#define NN_PLOT_CONFUSION_W 1000
#define NN_PLOT_CONFUSION_H 900
#define NN_PLOT_WEIGHTS_W   900
#define NN_PLOT_WEIGHTS_H   940

/* Colour map 0 as set up by nn_plot_render: 0 is the white background,
 * 1 and 15 black (axes, text), 2..11 ten distinct curve colours (the
 * "tab10" palette), 12 a light grey for grid lines, 13 a mid grey. */
enum {
    NN_COL_BG = 0,
    NN_COL_FG = 1,
    NN_COL_SERIES = 2,
    NN_N_SERIES_COLOURS = 10,
    NN_COL_GRID = 12,
    NN_COL_GREY = 13,
};

/* Draws one figure on the open page; returns NN_OK or fills err. */
typedef int (*nn_plot_draw_fn)(void *ctx, const char *png_path, nn_error *err);

/* Write one width x height PNG at png_path drawn by draw(ctx). On any error
 * the (partial) file is removed and err names png_path. */
int nn_plot_render(const char *png_path, int width, int height, nn_plot_draw_fn draw, void *ctx,
                   nn_error *err);

/* Check the common arguments (a non-empty path) of every figure. */
int nn_plot_check_path(const char *png_path, nn_error *err);

/* nn_plot_check_path, then the count a figure is drawn from (classes,
 * epochs, units): 1 <= n <= max (max < 0: no upper limit). NN_E_STATE
 * "<png>: <figure> needs <name> >= 1, got <n>" or "<png>: <figure> with
 * <name> = <n>: at most <max> fit in one figure". */
int nn_plot_check_count(const char *png_path, const char *figure, const char *name, int n, int max,
                        nn_error *err);

/* Start drawing on the whole page: world coordinates [0, w] x [0, h], the
 * foreground colour, and the title centred at height y in characters
 * scaled by scale. */
void nn_plot_page_title(const char *title, PLFLT w, PLFLT h, PLFLT y, PLFLT scale);

/* Copy text for PLplot into dst (capacity cap): '#' is PLplot's escape
 * character and is doubled; NULL becomes "". Returns dst. */
const char *nn_plot_text(char *dst, size_t cap, const char *src);

/* Cell images. plimage/plimagefr treat the data as grid points, the first
 * at xmin and the last at xmax, but fill a whole cell to the right of and
 * above each point, so an nx-wide image spills one cell past xmax (and
 * nx = 1 divides by zero). nn_plot_image_alloc gives an (nx+1) x (ny+1)
 * matrix m[i][j] whose extra last column and row are NaN (PLplot leaves NaN
 * cells out); fill i < nx, j < ny (j = 0 at the bottom) and draw it with
 * nn_plot_image: cell (i, j) covers exactly [x0 + i*(x1-x0)/nx, ...] in
 * world coordinates, coloured by cmap1 from vmin (0) to vmax (1).
 * Free with free(); NULL (err filled) when out of memory. */
PLFLT **nn_plot_image_alloc(int nx, int ny, nn_error *err);
void nn_plot_image(PLFLT **m, int nx, int ny, PLFLT x0, PLFLT x1, PLFLT y0, PLFLT y1, PLFLT vmin,
                   PLFLT vmax);

/* n image tiles of nx x ny cells each (nn_plot_image_alloc), NULL (err
 * filled) when out of memory; free with nn_plot_tiles_free (NULL-safe). */
PLFLT ***nn_plot_tiles_alloc(int n, int nx, int ny, nn_error *err);
void nn_plot_tiles_free(PLFLT ***tiles, int n);

/* One tile on the grey scale, 0 black to 1 white (set up by
 * nn_plot_cmap1_grey), in the box [x0, x1] x [y0, y1] with a grey frame. */
void nn_plot_tile(PLFLT **m, int nx, int ny, PLFLT x0, PLFLT x1, PLFLT y0, PLFLT y1);

/* Colour map 1 set-ups: black -> white, and white -> dark blue. */
void nn_plot_cmap1_grey(void);
void nn_plot_cmap1_blues(void);

/* Character height scale used for body text (labels, ticks). */
#define NN_PLOT_TEXT_SCALE 1.0

#endif
