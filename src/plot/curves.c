/* Line charts: nn_plot_curves (one panel) and nn_plot_training_curves
 * (loss | accuracy panels). NaN / Inf values are gaps; each panel is
 * autoscaled to its finite points. The legend never covers data: it goes in
 * a free corner, or the y range grows to make a free band at the top, or
 * (many curves) it goes outside, right of the frame. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/plot.h"
#include "plot/plot_internal.h"

#define MAX_CURVES        32  /* more are not readable in one legend */
#define MARKER_MAX_POINTS 20  /* curves with at most this many points get markers */
#define LEGEND_SPACING    2.2 /* character heights between legend entries */
#define LEGEND_TEXT_SCALE 0.9
#define LEGEND_LINE_LEN   0.08 /* of the viewport width */
#define Y_CHAR_W          0.95 /* width of a tick label character, in character heights */

static const char *const markers[] = { "●", "■", "▲", "◆", "▼" };

/* One panel: curves with their look, labels, where it goes on the page. */
typedef struct panel {
    const char *title, *xlabel, *ylabel;
    const nn_curve *curves;
    int n;
    PLINT colour[MAX_CURVES], style[MAX_CURVES];
    const char *empty_note; /* shown when no curve has data */
    PLFLT text;             /* character height scale of the panel */
    PLFLT x0;               /* left end of the panel (labels included) */
    PLFLT vx1, vy0, vy1;    /* frame: right, bottom, top; normalised page coords */
} panel;

/* A point that can be drawn: finite, and not so large that axis arithmetic
 * overflows (such values are gaps like NaN). */
static int finite_pt(const nn_curve *c, int i)
{
    return fabs(c->x[i]) <= 1e300 && fabs(c->y[i]) <= 1e300;
}

static int n_finite(const nn_curve *c)
{
    int k = 0;
    for (int i = 0; i < c->n; i++)
        k += finite_pt(c, i);
    return k;
}

/* Argument checks shared by both entry points; returns NN_OK or an error
 * naming the file and the curve. */
static int check_curves(const char *png_path, const nn_curve *curves, int n_curves, nn_error *err)
{
    int rc = nn_plot_check_path(png_path, err);
    if (rc != NN_OK)
        return rc;
    if (n_curves < 1 || !curves)
        return nn_fail(err, NN_E_STATE, "%s: no curves to plot (n_curves = %d)", png_path,
                       n_curves);
    if (n_curves > MAX_CURVES)
        return nn_fail(err, NN_E_STATE, "%s: %d curves, at most %d fit in one chart", png_path,
                       n_curves, MAX_CURVES);
    int with_data = 0;
    for (int k = 0; k < n_curves; k++) {
        const nn_curve *c = &curves[k];
        const char *name = c->label ? c->label : "(no label)";
        if (c->n < 1)
            return nn_fail(err, NN_E_STATE, "%s: curve %d '%s' has %d points (need >= 1)", png_path,
                           k, name, c->n);
        if (!c->x || !c->y)
            return nn_fail(err, NN_E_STATE, "%s: curve %d '%s' has no %s values", png_path, k, name,
                           c->x ? "y" : "x");
        with_data += n_finite(c) > 0;
    }
    if (with_data == 0)
        return nn_fail(err, NN_E_STATE, "%s: every curve is empty (all values NaN or Inf)",
                       png_path);
    return NN_OK;
}

/* Data limits over all finite points, padded so nothing sits on the frame.
 * Returns 0 when there is no finite point. */
static int data_limits(const panel *p, PLFLT lim[4])
{
    int any = 0;
    for (int k = 0; k < p->n; k++)
        for (int i = 0; i < p->curves[k].n; i++) {
            const nn_curve *c = &p->curves[k];
            if (!finite_pt(c, i))
                continue;
            if (!any) {
                lim[0] = lim[1] = c->x[i];
                lim[2] = lim[3] = c->y[i];
                any = 1;
            }
            lim[0] = fmin(lim[0], c->x[i]);
            lim[1] = fmax(lim[1], c->x[i]);
            lim[2] = fmin(lim[2], c->y[i]);
            lim[3] = fmax(lim[3], c->y[i]);
        }
    if (!any)
        return 0;
    for (int a = 0; a < 4; a += 2) {
        PLFLT lo = lim[a], hi = lim[a + 1], mid = 0.5 * (lo + hi);
        /* one value: a range around it; otherwise at least 1e-6 of the
         * magnitude, so tick steps stay well above the rounding of values */
        PLFLT span =
            hi > lo ? fmax(hi - lo, 1e-6 * fmax(fabs(lo), fabs(hi))) : fmax(1.0, 0.2 * fabs(lo));
        PLFLT pad = hi > lo ? (a == 0 ? 0.02 : 0.05) * span : 0.0; /* x (epochs): little */
        lim[a] = fmin(lo, mid - 0.5 * span) - pad;
        lim[a + 1] = fmax(hi, mid + 0.5 * span) + pad;
    }
    return 1;
}

/* Page size and the current character height, mm (layout decisions are
 * made before drawing: PLplot draws a legend or a label only once). */
static void page_mm(PLFLT *w, PLFLT *h, PLFLT *ch)
{
    PLFLT x0, x1, y0, y1, def;
    plgspa(&x0, &x1, &y0, &y1);
    plgchr(&def, ch);
    *w = x1 - x0;
    *h = y1 - y0;
}

/* Legend size estimate in mm, for a viewport vw_mm wide. */
static void legend_size(const panel *p, int entries, PLFLT vw_mm, PLFLT ch, PLFLT *w, PLFLT *h)
{
    size_t chars = 0;
    for (int k = 0; k < p->n; k++)
        if (p->curves[k].label && strlen(p->curves[k].label) > chars)
            chars = strlen(p->curves[k].label);
    PLFLT text_ht = ch * LEGEND_TEXT_SCALE;
    *h = ((PLFLT)entries * LEGEND_SPACING + 0.6) * text_ht;
    *w = LEGEND_LINE_LEN * vw_mm + (1.8 + 0.62 * (PLFLT)chars) * text_ht;
}

/* One axis: its range, major tick step and the %g precision its labels
 * need to tell neighbouring ticks apart. */
typedef struct axis_ticks {
    PLFLT lo, hi, step;
    int prec;
} axis_ticks;

/* Step 1, 2 or 5 times a power of ten, giving 5 to 10 ticks. */
static axis_ticks make_ticks(PLFLT lo, PLFLT hi)
{
    axis_ticks t = { .lo = lo, .hi = hi };
    PLFLT raw = (hi - lo) / 5.0, mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    t.step = (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
    int digits = (int)(floor(log10(fmax(fabs(lo), fabs(hi)))) - floor(log10(t.step))) + 1;
    t.prec = digits > 6 ? (digits < 15 ? digits : 15) : 6;
    return t;
}

/* Tick values as text: "%g", without rounding noise around zero. */
static void format_value(const axis_ticks *t, PLFLT value, char *out, size_t cap)
{
    if (fabs(value) < 1e-9 * t->step)
        value = 0.0;
    snprintf(out, cap, "%.*g", t->prec, value);
}

static void format_tick(PLINT axis, PLFLT value, char *label, PLINT length, PLPointer data)
{
    const axis_ticks *t = data; /* [x, y] */
    format_value(axis == PL_Y_AXIS ? &t[1] : &t[0], value, label, (size_t)length);
}

/* Characters of the widest tick label. */
static int label_chars(const axis_ticks *t)
{
    char b[64];
    int most = 1;
    PLFLT k0 = ceil(t->lo / t->step);
    for (int i = 0; i < 64 && (k0 + i) * t->step <= t->hi; i++) {
        format_value(t, (k0 + i) * t->step, b, sizeof b);
        most = (int)strlen(b) > most ? (int)strlen(b) : most;
    }
    return most;
}

/* How many samples of the curves fall inside the box [x0,x1]x[y0,y1]
 * (normalised window coordinates); line segments are sampled too. */
static int points_in_box(const panel *p, const PLFLT lim[4], PLFLT x0, PLFLT x1, PLFLT y0, PLFLT y1)
{
    int hits = 0;
    for (int k = 0; k < p->n; k++) {
        const nn_curve *c = &p->curves[k];
        for (int i = 0; i < c->n; i++) {
            if (!finite_pt(c, i))
                continue;
            int next = i + 1 < c->n && finite_pt(c, i + 1);
            int steps = next ? 16 : 1;
            for (int s = 0; s < steps; s++) {
                PLFLT t = (PLFLT)s / steps;
                PLFLT x = next ? c->x[i] + t * (c->x[i + 1] - c->x[i]) : c->x[i];
                PLFLT y = next ? c->y[i] + t * (c->y[i + 1] - c->y[i]) : c->y[i];
                x = (x - lim[0]) / (lim[1] - lim[0]);
                y = (y - lim[2]) / (lim[3] - lim[2]);
                hits += x >= x0 && x <= x1 && y >= y0 && y <= y1;
            }
        }
    }
    return hits;
}

/* Pick the legend corner (PL_POSITION_* flags); may widen lim[2..3] so the
 * legend band at the top or bottom holds no data. */
static PLINT place_legend(const panel *p, PLFLT lim[4], PLFLT lw, PLFLT lh)
{
    static const PLINT corner[4] = { PL_POSITION_TOP | PL_POSITION_RIGHT,
                                     PL_POSITION_BOTTOM | PL_POSITION_RIGHT,
                                     PL_POSITION_TOP | PL_POSITION_LEFT,
                                     PL_POSITION_BOTTOM | PL_POSITION_LEFT };
    const PLFLT m = 0.03; /* margin around the legend */
    int best = 0, best_hits = -1;
    for (int q = 0; q < 4; q++) {
        int top = (corner[q] & PL_POSITION_TOP) != 0, right = (corner[q] & PL_POSITION_RIGHT) != 0;
        PLFLT x0 = right ? 1 - lw - 2 * m : 0, x1 = right ? 1 : lw + 2 * m;
        PLFLT y0 = top ? 1 - lh - 2 * m : 0, y1 = top ? 1 : lh + 2 * m;
        int hits = points_in_box(p, lim, x0, x1, y0, y1);
        if (best_hits < 0 || hits < best_hits) {
            best = q;
            best_hits = hits;
        }
    }
    if (best_hits > 0) { /* no free corner: make a free band at the top */
        PLFLT keep = 1 - lh - 3 * m;
        lim[3] = lim[2] + (lim[3] - lim[2]) / (keep > 0.3 ? keep : 0.3);
        return corner[0];
    }
    return corner[best];
}

static void draw_legend(const panel *p, PLINT position, const int *with_marker)
{
    PLINT opt[MAX_CURVES], tcol[MAX_CURVES], lcol[MAX_CURVES], lsty[MAX_CURVES];
    PLINT snum[MAX_CURVES], scol[MAX_CURVES];
    PLFLT lwid[MAX_CURVES], sscale[MAX_CURVES];
    const char *text[MAX_CURVES], *sym[MAX_CURVES];
    char labels[MAX_CURVES][128];
    int e = 0;
    for (int k = 0; k < p->n; k++) {
        if (n_finite(&p->curves[k]) == 0)
            continue; /* an all-NaN curve is not in the chart */
        opt[e] = PL_LEGEND_LINE | (with_marker[k] ? PL_LEGEND_SYMBOL : 0);
        tcol[e] = NN_COL_FG;
        lcol[e] = scol[e] = p->colour[k];
        lsty[e] = p->style[k];
        lwid[e] = 2.0;
        snum[e] = 1;
        sscale[e] = 0.6 * p->text;
        sym[e] = markers[k % 5];
        text[e] = nn_plot_text(labels[e], sizeof labels[e], p->curves[k].label);
        e++;
    }
    PLFLT w, h;
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position | PL_POSITION_VIEWPORT,
             0.02, 0.02, LEGEND_LINE_LEN, NN_COL_BG, NN_COL_GREY, 1, 0, 0, e, opt, 0.8,
             p->text * LEGEND_TEXT_SCALE, LEGEND_SPACING, 0.0, tcol, text, NULL, NULL, NULL, NULL,
             lcol, lsty, lwid, scol, sscale, snum, sym);
    pllsty(1);
}

/* Runs of finite points as lines; markers on every point of short curves
 * and on isolated points (which a line cannot show). */
static void draw_curve(const nn_curve *c, PLINT colour, PLINT style, int markers_all,
                       const char *marker)
{
    plcol0(colour);
    pllsty(style);
    plwidth(2.0);
    int i = 0;
    while (i < c->n) {
        while (i < c->n && !finite_pt(c, i))
            i++;
        int start = i;
        while (i < c->n && finite_pt(c, i))
            i++;
        if (i - start >= 2)
            plline(i - start, c->x + start, c->y + start);
    }
    pllsty(1);
    plwidth(1.0);
    for (i = 0; i < c->n; i++) {
        if (!finite_pt(c, i))
            continue;
        int alone = (i == 0 || !finite_pt(c, i - 1)) && (i + 1 == c->n || !finite_pt(c, i + 1));
        if (markers_all || alone)
            plstring(1, &c->x[i], &c->y[i], marker);
    }
}

static void draw_labels(const panel *p, int y_chars)
{
    char t[512];
    plcol0(NN_COL_FG);
    plschr(0.0, p->text);
    plmtex("b", 3.0, 0.5, 0.5, nn_plot_text(t, sizeof t, p->xlabel));
    plmtex("l", 2.0 + Y_CHAR_W * y_chars, 0.5, 0.5, nn_plot_text(t, sizeof t, p->ylabel));
    plschr(0.0, p->text * 1.1);
    plmtex("t", 1.2, 0.5, 0.5, nn_plot_text(t, sizeof t, p->title));
    plschr(0.0, p->text);
}

/* A panel without data: frame and a note, so the page keeps its layout. */
static void draw_empty_panel(const panel *p)
{
    char note[256];
    PLFLT pw, ph, ch;
    page_mm(&pw, &ph, &ch);
    plvpor(p->x0 + 3.0 * ch / pw, p->vx1, p->vy0, p->vy1);
    plwind(0.0, 1.0, 0.0, 1.0);
    plcol0(NN_COL_GREY);
    plbox("bc", 0.0, 0, "bc", 0.0, 0);
    plptex(0.5, 0.5, 1.0, 0.0, 0.5, nn_plot_text(note, sizeof note, p->empty_note));
    draw_labels(p, 0);
}

/* Layout, then drawing: the legend goes inside (a free corner) or, when it
 * is tall, outside right of the frame; the frame's left edge leaves room
 * for the widest y tick label and the axis title. */
static void draw_panel(const panel *p)
{
    PLFLT lim[4];
    plschr(0.0, p->text);
    if (!data_limits(p, lim)) {
        draw_empty_panel(p);
        return;
    }
    int entries = 0, with_marker[MAX_CURVES];
    for (int k = 0; k < p->n; k++) {
        int f = n_finite(&p->curves[k]);
        entries += f > 0;
        with_marker[k] = f <= MARKER_MAX_POINTS;
    }
    PLFLT pw, ph, ch, lw, lh;
    page_mm(&pw, &ph, &ch);
    PLFLT vx0 = p->x0 + 8.0 * ch / pw, vx1 = p->vx1, vh = (p->vy1 - p->vy0) * ph;
    legend_size(p, entries, (vx1 - vx0) * pw, ch, &lw, &lh);
    PLINT position = PL_POSITION_RIGHT | PL_POSITION_OUTSIDE; /* centred on the right */
    if (lh > 0.45 * vh)
        vx1 -= (lw + 2.0 * ch) / pw;
    else
        position = PL_POSITION_INSIDE | place_legend(p, lim, lw / ((vx1 - vx0) * pw), lh / vh);
    axis_ticks ticks[2] = { make_ticks(lim[0], lim[1]), make_ticks(lim[2], lim[3]) };
    int y_chars = label_chars(&ticks[1]);
    vx0 = p->x0 + (3.2 + Y_CHAR_W * y_chars) * ch / pw;

    plvpor(vx0, vx1, p->vy0, p->vy1);
    plwind(lim[0], lim[1], lim[2], lim[3]);
    plcol0(NN_COL_GRID);
    plbox("g", ticks[0].step, 0, "g", ticks[1].step, 0);
    plschr(0.0, p->text * 0.6); /* marker size (plstring draws text) */
    for (int k = 0; k < p->n; k++)
        draw_curve(&p->curves[k], p->colour[k], p->style[k], with_marker[k], markers[k % 5]);
    plschr(0.0, p->text);
    plcol0(NN_COL_FG);
    plslabelfunc(format_tick, ticks);
    plbox("bcnsto", ticks[0].step, 0, "bcnstvo", ticks[1].step, 0);
    plslabelfunc(NULL, NULL);
    draw_labels(p, y_chars);
    draw_legend(p, position, with_marker);
}

static int draw_one_panel(void *ctx, const char *png_path, nn_error *err)
{
    (void)png_path;
    (void)err;
    draw_panel(ctx);
    return NN_OK;
}

int nn_plot_curves(const char *png_path, const char *title, const char *xlabel, const char *ylabel,
                   const nn_curve *curves, int n_curves, nn_error *err)
{
    int rc = check_curves(png_path, curves, n_curves, err);
    if (rc != NN_OK)
        return rc;
    static const PLINT styles[4] = { 1, 2, 3, 5 }; /* solid, dashes, long dashes, dash-dot */
    panel p = { .title = title,
                .xlabel = xlabel,
                .ylabel = ylabel,
                .curves = curves,
                .n = n_curves,
                .text = 1.0,
                .x0 = 0.01,
                .vx1 = 0.96,
                .vy0 = 0.12,
                .vy1 = 0.91 };
    for (int k = 0; k < n_curves; k++) {
        p.colour[k] = NN_COL_SERIES + k % NN_N_SERIES_COLOURS;
        p.style[k] = styles[k % 4]; /* colours and dash patterns both differ */
    }
    return nn_plot_render(png_path, NN_PLOT_CURVES_W, NN_PLOT_CURVES_H, draw_one_panel, &p, err);
}

/* ---- training curves: loss | accuracy ---------------------------------------- */

typedef struct training_fig {
    const char *title;
    panel loss, acc;
} training_fig;

static int draw_training(void *ctx, const char *png_path, nn_error *err)
{
    (void)png_path;
    (void)err;
    training_fig *f = ctx;
    nn_plot_page_title(f->title, 1.0, 1.0, 0.955, 1.05);
    draw_panel(&f->loss);
    draw_panel(&f->acc);
    return NN_OK;
}

/* Train (solid) and valid (dashed) curves of one quantity; NULL series are
 * left out. Returns the number of curves. */
static int training_series(nn_curve out[2], const double *x, const double *train,
                           const double *valid, int n)
{
    int k = 0;
    if (train)
        out[k++] = (nn_curve){ .label = "train", .x = x, .y = train, .n = n };
    if (valid)
        out[k++] = (nn_curve){ .label = "valid", .x = x, .y = valid, .n = n };
    return k;
}

static void training_panel(panel *p, const char *what, const nn_curve *c, int n, PLFLT x0,
                           PLFLT vx1)
{
    *p = (panel){ .title = what,
                  .xlabel = "epoch",
                  .ylabel = what,
                  .curves = c,
                  .n = n,
                  .text = 0.8,
                  .x0 = x0,
                  .vx1 = vx1,
                  .vy0 = 0.13,
                  .vy1 = 0.83 };
    for (int k = 0; k < n; k++) {
        int valid = strcmp(c[k].label, "valid") == 0;
        p->colour[k] = NN_COL_SERIES + valid; /* blue train, orange valid */
        p->style[k] = valid ? 3 : 1;
    }
}

int nn_plot_training_curves(const char *png_path, const char *title, const double *epoch,
                            const double *train_loss, const double *valid_loss,
                            const double *train_acc, const double *valid_acc, int n, nn_error *err)
{
    int rc = nn_plot_check_count(png_path, "training-curve figure", "n", n, -1, err);
    if (rc != NN_OK)
        return rc;
    double *x = nn_malloc((unsigned long long)n * sizeof *x, err);
    if (!x)
        return nn_fail_wrap(err, "%s", png_path);
    for (int i = 0; i < n; i++)
        x[i] = epoch ? epoch[i] : (double)(i + 1);
    nn_curve loss[2], acc[2];
    int n_loss = training_series(loss, x, train_loss, valid_loss, n);
    int n_acc = training_series(acc, x, train_acc, valid_acc, n);
    int with_data = 0;
    for (int k = 0; k < n_loss; k++)
        with_data += n_finite(&loss[k]) > 0;
    for (int k = 0; k < n_acc; k++)
        with_data += n_finite(&acc[k]) > 0;
    if (with_data == 0) {
        free(x);
        return nn_fail(err, NN_E_STATE,
                       "%s: no finite loss or accuracy value in %d epochs (all NaN, Inf or "
                       "missing)",
                       png_path, n);
    }
    training_fig f = { .title = title };
    training_panel(&f.loss, "loss", loss, n_loss, 0.01, 0.475);
    training_panel(&f.acc, "accuracy", acc, n_acc, 0.51, 0.975);
    f.loss.empty_note = "no loss values";
    f.acc.empty_note = "no accuracy values";
    rc = nn_plot_render(png_path, NN_PLOT_TRAINING_W, NN_PLOT_TRAINING_H, draw_training, &f, err);
    free(x);
    return rc;
}
