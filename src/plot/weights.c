/* A grid of weight images: one tile per unit (a column of W), each scaled
 * to its own min..max in grey (black = min, white = max), tiles in a
 * near-square grid with small gaps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/plot.h"
#include "plot/plot_internal.h"

typedef struct weight_fig {
    const char *title;
    int h, w, units, cols, rows, gap;
    PLFLT ***tile; /* tile[j][x][h-1-y]: unit j's pixel (y, x) in [0,1] */
} weight_fig;

/* The box (normalised page coordinates) the grid must fit in. */
#define BOX_LEFT   0.03
#define BOX_RIGHT  0.97
#define BOX_BOTTOM 0.02
#define BOX_TOP    0.9

/* Grid size in image pixels (tiles and the gaps between them). */
static PLFLT grid_w(const weight_fig *f, int cols)
{
    return (PLFLT)(cols * (f->w + f->gap) - f->gap);
}

static PLFLT grid_h(const weight_fig *f, int rows)
{
    return (PLFLT)(rows * (f->h + f->gap) - f->gap);
}

/* Page pixels per image pixel with cols columns. */
static PLFLT grid_scale(const weight_fig *f, int cols)
{
    int rows = (f->units + cols - 1) / cols;
    PLFLT bw = (BOX_RIGHT - BOX_LEFT) * NN_PLOT_WEIGHTS_W;
    PLFLT bh = (BOX_TOP - BOX_BOTTOM) * NN_PLOT_WEIGHTS_H;
    return fmin(bw / grid_w(f, cols), bh / grid_h(f, rows));
}

/* The column count that gives the largest tiles (fewer columns on a tie:
 * 64 square images -> 8 x 8). */
static int best_cols(const weight_fig *f)
{
    int best = 1;
    for (int c = 2; c <= f->units; c++)
        if (grid_scale(f, c) > grid_scale(f, best) * (1 + 1e-9))
            best = c;
    return best;
}

static void draw_tile(const weight_fig *f, int j)
{
    int gx = j % f->cols, gy = j / f->cols;
    PLFLT x0 = (PLFLT)gx * (f->w + f->gap);
    PLFLT y1 = (PLFLT)(f->rows * (f->h + f->gap) - f->gap) - (PLFLT)gy * (f->h + f->gap);
    nn_plot_tile(f->tile[j], f->w, f->h, x0, x0 + f->w, y1 - f->h, y1);
}

static int draw_weights(void *ctx, const char *png_path, nn_error *err)
{
    (void)png_path;
    (void)err;
    const weight_fig *f = ctx;
    char t[512];
    nn_plot_page_title(f->title, 1.0, 1.0, 0.962, 1.1);
    plschr(0.0, 0.75);
    snprintf(t, sizeof t,
             "%d units of %d x %d, each scaled to its own range: black = min, "
             "white = max",
             f->units, f->h, f->w);
    plptex(0.5, 0.928, 1.0, 0.0, 0.5, t);

    /* the grid, centred under the titles, as large as the box allows */
    PLFLT gw = grid_w(f, f->cols), gh = grid_h(f, f->rows);
    PLFLT s = grid_scale(f, f->cols);
    PLFLT vw = gw * s / NN_PLOT_WEIGHTS_W, vh = gh * s / NN_PLOT_WEIGHTS_H;
    plvpor(0.5 - vw / 2, 0.5 + vw / 2, BOX_TOP - vh, BOX_TOP);
    plwind(0.0, gw, 0.0, gh);
    nn_plot_cmap1_grey();
    plwidth(0.5);
    for (int j = 0; j < f->units; j++)
        draw_tile(f, j);
    plwidth(1.0);
    return NN_OK;
}

static int check_weights(const char *png_path, const float *W, int h, int w, int units,
                         nn_error *err)
{
    int rc = nn_plot_check_count(png_path, "weight grid", "units", units, 4096, err);
    if (rc != NN_OK)
        return rc;
    if (h < 1 || w < 1)
        return nn_fail(err, NN_E_STATE, "%s: weight images need h, w >= 1, got %d x %d", png_path,
                       h, w);
    if ((long long)h * w > 1 << 20)
        return nn_fail(err, NN_E_STATE, "%s: weight images of %d x %d pixels are too large",
                       png_path, h, w);
    if (!W)
        return nn_fail(err, NN_E_STATE, "%s: no weights given", png_path);
    size_t n = (size_t)h * (size_t)w * (size_t)units;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(W[i]))
            return nn_fail(err, NN_E_STATE, "%s: weight of pixel %zu, unit %zu is %g", png_path,
                           i / (size_t)units, i % (size_t)units, (double)W[i]);
    return NN_OK;
}

/* Unit j's column of W [pixels, units] as a tile scaled to [0,1]. */
static void fill_tile(PLFLT **tile, const float *W, int h, int w, int units, int j)
{
    float lo = W[j], hi = W[j];
    for (int p = 0; p < h * w; p++) {
        float v = W[(size_t)p * units + j];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float v = W[((size_t)y * w + x) * units + j];
            tile[x][h - 1 - y] = hi > lo ? ((PLFLT)v - lo) / ((PLFLT)hi - lo) : 0.5;
        }
}

int nn_plot_weight_grid(const char *png_path, const char *title, const float *W, int h, int w,
                        int units, nn_error *err)
{
    int rc = check_weights(png_path, W, h, w, units, err);
    if (rc != NN_OK)
        return rc;
    weight_fig f = { .title = title, .h = h, .w = w, .units = units };
    f.gap = (h > w ? h : w) >= 12 ? (h > w ? h : w) / 12 : 1;
    f.cols = best_cols(&f);
    f.rows = (units + f.cols - 1) / f.cols;
    f.tile = nn_plot_tiles_alloc(units, w, h, err);
    if (!f.tile)
        return nn_fail_wrap(err, "%s", png_path);
    for (int j = 0; j < units; j++)
        fill_tile(f.tile[j], W, h, w, units, j);
    rc = nn_plot_render(png_path, NN_PLOT_WEIGHTS_W, NN_PLOT_WEIGHTS_H, draw_weights, &f, err);
    nn_plot_tiles_free(f.tile, units);
    return rc;
}
