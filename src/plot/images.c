/* Rows of images with labels (nn/plot_images.h). Unlike the weight grid,
 * every tile uses the same fixed grey scale [0, 1], so an original and its
 * reconstruction can be compared pixel for pixel. The page is sized to the
 * grid and the drawing uses page pixels as world coordinates. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/plot.h"
#include "plot/plot_internal.h"

#define LABEL_W 260 /* pixels left of the grid for the row labels */
#define TOP_H   110 /* title, subtitle and column labels */
#define MARGIN  16
#define GAP     6

typedef struct rows_fig {
    const char *title;
    const nn_image_rows *g;
    int tile;          /* tile side in page pixels */
    int width, height; /* page */
    PLFLT ***img;      /* img[r*cols + c]: the tile as a PLplot matrix */
} rows_fig;

static void draw_tile(const rows_fig *f, int r, int c)
{
    const nn_image_rows *g = f->g;
    PLFLT x0 = LABEL_W + c * (f->tile + GAP), y1 = f->height - TOP_H - r * (f->tile + GAP);
    PLFLT tw = (PLFLT)f->tile * g->w / (g->h > g->w ? g->h : g->w);
    PLFLT th = (PLFLT)f->tile * g->h / (g->h > g->w ? g->h : g->w);
    nn_plot_tile(f->img[r * g->cols + c], g->w, g->h, x0, x0 + tw, y1 - th, y1);
}

static int draw_rows(void *ctx, const char *png_path, nn_error *err)
{
    (void)png_path;
    (void)err;
    const rows_fig *f = ctx;
    const nn_image_rows *g = f->g;
    char t[512];
    nn_plot_page_title(f->title, f->width, f->height, f->height - 30, 1.0);
    plschr(0.0, 0.7);
    snprintf(t, sizeof t, "%d x %d pixels each, grey scale 0 (black) to 1 (white)", g->h, g->w);
    plptex(f->width / 2.0, f->height - 58, 1.0, 0.0, 0.5, t);
    for (int c = 0; g->col_labels && c < g->cols; c++)
        plptex(LABEL_W + c * (f->tile + GAP) + f->tile / 2.0, f->height - TOP_H + 10, 1.0, 0.0, 0.5,
               nn_plot_text(t, sizeof t, g->col_labels[c]));
    plschr(0.0, 0.8);
    for (int r = 0; g->row_labels && r < g->rows; r++) {
        plcol0(NN_COL_FG);
        PLFLT yc = f->height - TOP_H - r * (f->tile + GAP) - f->tile / 2.0;
        plptex(LABEL_W - 14, yc - 5, 1.0, 0.0, 1.0, nn_plot_text(t, sizeof t, g->row_labels[r]));
    }
    nn_plot_cmap1_grey();
    plwidth(0.5);
    for (int r = 0; r < g->rows; r++)
        for (int c = 0; c < g->cols; c++)
            draw_tile(f, r, c);
    plwidth(1.0);
    return NN_OK;
}

static int check_rows(const char *png_path, const nn_image_rows *g, nn_error *err)
{
    int rc = nn_plot_check_path(png_path, err);
    if (rc != NN_OK)
        return rc;
    if (!g || !g->pixels)
        return nn_fail(err, NN_E_STATE, "%s: no images given", png_path);
    if (g->rows < 1 || g->rows > NN_IMAGE_ROWS_MAX || g->cols < 1 || g->cols > NN_IMAGE_COLS_MAX)
        return nn_fail(err, NN_E_STATE, "%s: %d x %d images (1..%d rows, 1..%d columns)", png_path,
                       g->rows, g->cols, NN_IMAGE_ROWS_MAX, NN_IMAGE_COLS_MAX);
    if (g->h < 1 || g->w < 1 || g->h > 256 || g->w > 256)
        return nn_fail(err, NN_E_STATE, "%s: images of %d x %d pixels (1..256 a side)", png_path,
                       g->h, g->w);
    size_t n = (size_t)g->rows * g->cols * g->h * g->w;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(g->pixels[i]))
            return nn_fail(err, NN_E_STATE, "%s: pixel %zu of image %zu is %g", png_path,
                           i % ((size_t)g->h * g->w), i / ((size_t)g->h * g->w),
                           (double)g->pixels[i]);
    return NN_OK;
}

/* Image i as a PLplot matrix (x to the right, y up), clamped to [0, 1]. */
static void fill_tile(PLFLT **m, const float *px, int h, int w)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            PLFLT v = px[(size_t)y * w + x];
            m[x][h - 1 - y] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
}

int nn_plot_image_rows(const char *png_path, const char *title, const nn_image_rows *g,
                       nn_error *err)
{
    int rc = check_rows(png_path, g, err);
    if (rc != NN_OK)
        return rc;
    rows_fig f = { .title = title, .g = g };
    int avail = (1400 - LABEL_W - MARGIN) / g->cols - GAP;
    f.tile = avail < 96 ? avail : 96;
    f.tile = f.tile < 16 ? 16 : f.tile;
    f.width = LABEL_W + g->cols * (f.tile + GAP) - GAP + MARGIN;
    f.height = TOP_H + g->rows * (f.tile + GAP) - GAP + MARGIN;
    const int n = g->rows * g->cols;
    f.img = nn_plot_tiles_alloc(n, g->w, g->h, err);
    if (!f.img)
        return nn_fail_wrap(err, "%s", png_path);
    for (int i = 0; i < n; i++)
        fill_tile(f.img[i], g->pixels + (size_t)i * g->h * g->w, g->h, g->w);
    rc = nn_plot_render(png_path, f.width, f.height, draw_rows, &f, err);
    nn_plot_tiles_free(f.img, n);
    return rc;
}
