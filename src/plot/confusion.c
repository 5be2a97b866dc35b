/* Confusion matrix heat map: rows (true class) normalised to fractions,
 * true classes top to bottom, predicted classes left to right, class names
 * on both axes, a colour bar, the fractions written in the cells when they
 * fit (few classes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/plot.h"
#include "plot/plot_internal.h"

#define MAX_LABELS            60   /* more classes: every s-th name only */
#define MAX_CLASSES           1000 /* cells would be smaller than a pixel */
#define CELL_TEXT_MAX_CLASSES 12

typedef struct confusion_fig {
    const char *title;
    int K;
    PLFLT **img;             /* img[p][K-1-t]: fraction of class t predicted as p */
    const char (*names)[32]; /* may be NULL: class numbers */
    long long total, correct;
} confusion_fig;

static const char *class_label(const confusion_fig *f, int k, char *buf, size_t cap)
{
    if (f->names)
        return nn_plot_text(buf, cap, f->names[k]);
    snprintf(buf, cap, "%d", k);
    return buf;
}

static int label_chars(const confusion_fig *f)
{
    int most = 1;
    char b[64];
    for (int k = 0; k < f->K; k++) {
        int n = (int)strlen(class_label(f, k, b, sizeof b));
        most = n > most ? n : most;
    }
    return most;
}

/* Names on both axes, at the cell centres; vertical on x when long. */
static void draw_class_labels(const confusion_fig *f, PLFLT scale, int chars)
{
    int step = (f->K + MAX_LABELS - 1) / MAX_LABELS;
    int x_vertical = chars > 2;
    char b[64];
    plschr(0.0, scale);
    plcol0(NN_COL_FG);
    for (int k = 0; k < f->K; k += step) {
        const char *s = class_label(f, k, b, sizeof b);
        PLFLT pos = ((PLFLT)k + 0.5) / f->K;
        if (x_vertical)
            plmtex("bv", 0.8, pos, 1.0, s);
        else
            plmtex("b", 1.3, pos, 0.5, s);
        plmtex("lv", 0.8, 1.0 - pos, 1.0, s);
    }
    /* axis titles beyond the longest name, in body text size */
    PLFLT body = 0.85;
    PLFLT lab_w = 0.62 * chars * scale / body; /* in body char heights */
    PLFLT x_disp = x_vertical ? 1.0 + lab_w + 1.2 : 1.3 * scale / body + 2.0;
    plschr(0.0, body);
    plmtex("b", x_disp, 0.5, 0.5, "predicted class");
    plmtex("l", 1.0 + lab_w + 1.2, 0.5, 0.5, "true class");
}

/* The fractions in the cells, white on dark cells. */
static void draw_cell_text(const confusion_fig *f)
{
    char b[16];
    plschr(0.0, 0.7);
    for (int p = 0; p < f->K; p++)
        for (int y = 0; y < f->K; y++) {
            PLFLT v = f->img[p][y];
            if (v < 0.005)
                continue;
            snprintf(b, sizeof b, "%.2f", v);
            plcol0(v > 0.55 ? NN_COL_BG : NN_COL_FG);
            plptex(p, y, 1.0, 0.0, 0.5, b);
        }
    plcol0(NN_COL_FG);
}

/* An image colour bar (the gradient kind leaks a cairo pattern per figure
 * in PLplot 5.15's cairo driver). */
static void draw_colour_bar(void)
{
    enum { STEPS = 256 };
    PLINT label_opts[1] = { PL_COLORBAR_LABEL_RIGHT };
    const char *labels[1] = { "fraction of the true class" };
    const char *axis_opts[1] = { "bcvtm" };
    PLFLT ticks[1] = { 0.2 };
    PLINT sub_ticks[1] = { 2 }, n_values[1] = { STEPS };
    PLFLT range[STEPS];
    for (int i = 0; i < STEPS; i++)
        range[i] = (PLFLT)i / (STEPS - 1);
    const PLFLT *values[1] = { range };
    PLFLT w, h;
    plcolorbar(&w, &h, PL_COLORBAR_IMAGE | PL_COLORBAR_LABEL_RIGHT,
               PL_POSITION_RIGHT | PL_POSITION_OUTSIDE | PL_POSITION_VIEWPORT, 0.03, 0.0, 0.035,
               1.0, NN_COL_BG, NN_COL_FG, 1, 0.0, 1.0, 0, 0.0, 1, label_opts, labels, 1, axis_opts,
               ticks, sub_ticks, n_values, values);
}

static int draw_confusion(void *ctx, const char *png_path, nn_error *err)
{
    (void)png_path;
    (void)err;
    const confusion_fig *f = ctx;
    int K = f->K, chars = label_chars(f);
    /* names shrink with many classes; cells of an 47-class matrix are ~14 px */
    PLFLT scale = fmax(0.45, fmin(0.8, 28.0 / K));
    if (chars > 8)
        scale = fmin(scale, 0.7);
    PLFLT lab_w = 0.62 * chars * scale; /* label width in body char heights, roughly */
    PLFLT left = fmin(0.30, 0.07 + 0.021 * lab_w);
    PLFLT bottom = chars > 2 ? fmin(0.30, 0.08 + 0.024 * lab_w) : 0.1;
    char t[512];

    nn_plot_page_title(f->title, 1.0, 1.0, 0.962, 1.1);
    plschr(0.0, 0.8);
    if (f->total > 0)
        snprintf(t, sizeof t, "%d class%s, %lld samples, accuracy %.2f%%", K, K == 1 ? "" : "es",
                 f->total, 100.0 * (double)f->correct / (double)f->total);
    else
        snprintf(t, sizeof t, "%d class%s, no samples", K, K == 1 ? "" : "es");
    plptex(0.5, 0.928, 1.0, 0.0, 0.5, t);

    plvpas(left, 0.84, bottom, 0.9, 1.0); /* square cells */
    plwind(-0.5, K - 0.5, -0.5, K - 0.5);
    nn_plot_cmap1_blues();
    nn_plot_image(f->img, K, K, -0.5, K - 0.5, -0.5, K - 0.5, 0.0, 1.0);
    if (K <= CELL_TEXT_MAX_CLASSES)
        draw_cell_text(f);
    plcol0(NN_COL_FG);
    plbox("bc", 0.0, 0, "bc", 0.0, 0);
    draw_class_labels(f, scale, chars);
    plschr(0.0, 0.8);
    draw_colour_bar();
    return NN_OK;
}

static int check_confusion(const char *png_path, const int64_t *conf, int K,
                           const char (*class_names)[32], nn_error *err)
{
    int rc = nn_plot_check_count(png_path, "confusion matrix", "K", K, MAX_CLASSES, err);
    if (rc != NN_OK)
        return rc;
    if (!conf)
        return nn_fail(err, NN_E_STATE, "%s: no confusion matrix given", png_path);
    for (long long i = 0; i < (long long)K * K; i++)
        if (conf[i] < 0)
            return nn_fail(err, NN_E_STATE,
                           "%s: confusion matrix entry (true %lld, predicted "
                           "%lld) is negative (%lld)",
                           png_path, i / K, i % K, (long long)conf[i]);
    if (class_names)
        for (int k = 0; k < K; k++)
            if (!memchr(class_names[k], '\0', 32))
                return nn_fail(err, NN_E_STATE,
                               "%s: class name %d is not terminated within "
                               "32 bytes",
                               png_path, k);
    return NN_OK;
}

int nn_plot_confusion(const char *png_path, const char *title, const int64_t *conf, int K,
                      const char (*class_names)[32], nn_error *err)
{
    int rc = check_confusion(png_path, conf, K, class_names, err);
    if (rc != NN_OK)
        return rc;
    confusion_fig f = { .title = title, .K = K, .names = class_names };
    f.img = nn_plot_image_alloc(K, K, err);
    if (!f.img)
        return nn_fail_wrap(err, "%s", png_path);
    for (int t = 0; t < K; t++) {
        long long row = 0;
        for (int p = 0; p < K; p++)
            row += conf[(size_t)t * K + p];
        f.total += row;
        f.correct += conf[(size_t)t * K + t];
        for (int p = 0; p < K; p++) /* an empty row stays white */
            f.img[p][K - 1 - t] = row > 0 ? (PLFLT)conf[(size_t)t * K + p] / (PLFLT)row : 0.0;
    }
    rc =
        nn_plot_render(png_path, NN_PLOT_CONFUSION_W, NN_PLOT_CONFUSION_H, draw_confusion, &f, err);
    free(f.img);
    return rc;
}
