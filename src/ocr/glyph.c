/* One character image -> one network input. The data set preparation and
 * the OCR both call nn_glyph_from_mask, so a crop from a photo and a sample
 * from MNIST or a letter folder are normalised by the very same code: ink
 * only, cropped, fitted into a square keeping the aspect ratio, centred,
 * strokes redrawn at one width (sources differ in boldness, and a network
 * would otherwise learn "bold = digit"), averaged down to size x size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ocr/ocr_internal.h"

#define SPECK_FRACTION  0.05 /* pieces under 5% of the largest are dirt, not strokes */
#define SMOOTH_FRACTION 0.02 /* outline detail under 2% of the glyph is noise (blur half-width) */
#define SPUR_FRACTION   0.08 /* skeleton twigs under 8% of the glyph are bumps, not strokes */

void nn_glyph_params_default(nn_glyph_params *p)
{
    p->size = 32;
    p->supersample = 4;
    p->margin = 2;
    p->stroke = 0.1;
}

int nn_glyph_params_check(const nn_glyph_params *p, nn_error *err)
{
    if (p->size < 4 || p->size > 256)
        return nn_fail(err, NN_E_CONFIG, "glyph size %d: must be 4 to 256", p->size);
    if (p->supersample < 1 || p->supersample > 16)
        return nn_fail(err, NN_E_CONFIG, "glyph supersample %d: must be 1 to 16", p->supersample);
    if (!(p->margin >= 0 && p->margin * 2 <= p->size - 2))
        return nn_fail(err, NN_E_CONFIG,
                       "glyph margin %g: must leave at least 2 pixels of "
                       "a %d-pixel glyph",
                       p->margin, p->size);
    if (!(p->stroke >= 0 && p->stroke <= 0.5))
        return nn_fail(err, NN_E_CONFIG, "glyph stroke %g: must be 0 (keep) to 0.5", p->stroke);
    return NN_OK;
}

/* The ink crop (1 bpp) scaled to w x h. Binary images are scaled as grey
 * (0/255, area averaging down, linear interpolation up) and thresholded at
 * half, which keeps thin strokes and smooths the staircase of small crops. */
PIX *nn_mask_scale(PIX *crop, int w, int h)
{
    PIX *grey = pixConvert1To8(NULL, crop, 255, 0); /* ink dark, as Leptonica thresholds */
    float sx = (float)w / (float)pixGetWidth(crop), sy = (float)h / (float)pixGetHeight(crop);
    PIX *scaled = grey ? pixScaleGeneral(grey, sx, sy, 0.0f, 0) : NULL;
    PIX *out = scaled ? pixThresholdToBinary(scaled, 128) : NULL;
    pixDestroy(&grey);
    pixDestroy(&scaled);
    return out;
}

/* Set neighbours (of 8) of pixel (x, y) in the w x h byte image s. */
static int neighbours(const uint8_t *s, int w, int h, int x, int y)
{
    int n = 0;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
            if ((dx || dy) && x + dx >= 0 && x + dx < w && y + dy >= 0 && y + dy < h)
                n += s[(y + dy) * w + x + dx];
    return n;
}

/* Remove the skeleton's spurs shorter than len pixels (the twigs thinning
 * grows on every bump of an outline) without shortening real strokes:
 * strip end points len times, then grow the surviving ends back along the
 * original skeleton by as much. */
static void prune_spurs(PIX *skel, int len)
{
    const int w = pixGetWidth(skel), h = pixGetHeight(skel);
    const size_t n = (size_t)w * h;
    uint8_t *cur = calloc(n, 1), *ends = calloc(n, 1), *next = calloc(n, 1);
    int *on = malloc(n * sizeof *on), m = 0; /* the skeleton's pixels: all the work is there */
    l_uint32 *data = pixGetData(skel);
    const int wpl = pixGetWpl(skel);
    if (!cur || !ends || !next || !on)
        goto out; /* no pruning then: the glyph is still valid */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (GET_DATA_BIT(data + (size_t)y * wpl, x)) {
                cur[y * w + x] = 1;
                on[m++] = y * w + x;
            }
    for (int it = 0; it < len; it++) {
        for (int j = 0; j < m; j++)
            ends[on[j]] = cur[on[j]] && neighbours(cur, w, h, on[j] % w, on[j] / w) <= 1;
        for (int j = 0; j < m; j++)
            cur[on[j]] &= (uint8_t)!ends[on[j]];
    }
    for (int j = 0; j < m; j++)
        ends[on[j]] = cur[on[j]] && neighbours(cur, w, h, on[j] % w, on[j] / w) <= 1;
    for (int it = 0; it < len; it++) {
        for (int j = 0; j < m; j++)
            next[on[j]] = ends[on[j]] || neighbours(ends, w, h, on[j] % w, on[j] / w) > 0;
        uint8_t *t = ends;
        ends = next;
        next = t;
    }
    for (int j = 0; j < m; j++)
        if (!cur[on[j]] && !ends[on[j]])
            CLEAR_DATA_BIT(data + (size_t)(on[j] / w) * wpl, on[j] % w);
out:
    free(cur);
    free(ends);
    free(next);
    free(on);
}

/* Thin to a one-pixel skeleton and draw it again with a disk of the given
 * diameter: every glyph gets the same stroke width whatever pen made it. */
static PIX *redraw_strokes(PIX *canvas, int diameter, int smooth, int spur)
{
    /* Thinning turns every bump of a ragged edge (a small crop blown up, a
     * rotated copy) into a spur: the outline is smoothed first by a box
     * blur and a threshold at half. */
    PIX *grey = pixConvert1To8(NULL, canvas, 255, 0);
    PIX *blurred = grey ? pixBlockconv(grey, smooth, smooth) : NULL;
    PIX *even = blurred ? pixThresholdToBinary(blurred, 128) : NULL;
    PIX *skel = even ? pixThinConnected(even, L_THIN_FG, 8, 0) : NULL;
    if (skel)
        prune_spurs(skel, spur);
    pixDestroy(&grey);
    pixDestroy(&blurred);
    pixDestroy(&even);
    SEL *disk = nn_disk_sel(diameter);
    PIX *out = skel && disk ? pixDilate(NULL, skel, disk) : NULL;
    pixDestroy(&skel);
    selDestroy(&disk);
    return out;
}

/* out [side * side] = ink coverage of each k x k block of canvas, 0..255. */
static void average_down(PIX *canvas, int k, int side, uint8_t *out)
{
    const l_uint32 *data = pixGetData(canvas);
    const int wpl = pixGetWpl(canvas), area = k * k;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            int n = 0;
            for (int dy = 0; dy < k; dy++) {
                const l_uint32 *row = data + (size_t)(y * k + dy) * wpl;
                for (int dx = 0; dx < k; dx++)
                    n += GET_DATA_BIT(row, x * k + dx);
            }
            out[y * side + x] = (uint8_t)((255 * n + area / 2) / area);
        }
}

/* Side of the square the glyph's longer side is fitted into, in canvas
 * pixels. */
static double inner_side(const nn_glyph_params *p)
{
    return (p->size - 2 * p->margin) * p->supersample;
}

int nn_glyph_ink(PIX *mask, const nn_glyph_params *p, PIX **ink, nn_error *err)
{
    *ink = NULL;
    int rc = nn_glyph_params_check(p, err);
    if (rc)
        return rc;
    if (!mask || pixGetDepth(mask) != 1)
        return nn_fail(err, NN_E_STATE, "glyph: the mask must be a 1 bpp image");
    nn_lept_quiet();
    PIX *clean = nn_mask_drop_specks(mask, SPECK_FRACTION, NULL), *crop = NULL;
    if (!clean)
        return nn_fail(err, NN_E_NOMEM, "glyph: out of memory");
    BOX *box = NULL;
    int empty = pixClipToForeground(clean, &crop, &box) != 0 || !crop;
    pixDestroy(&clean);
    boxDestroy(&box);
    if (empty) {
        pixDestroy(&crop);
        return nn_fail(err, NN_E_FORMAT, "glyph: the image holds no ink");
    }
    /* Far more detail than the canvas can show costs time (thinning,
     * distortions) and changes nothing: reduce to twice the canvas. */
    const int cw = pixGetWidth(crop), ch = pixGetHeight(crop), longer = cw > ch ? cw : ch;
    const double limit = 2 * inner_side(p);
    if (longer > limit) {
        const double f = limit / longer;
        int w = (int)lround(cw * f), h = (int)lround(ch * f);
        PIX *small = nn_mask_scale(crop, w < 1 ? 1 : w, h < 1 ? 1 : h);
        pixDestroy(&crop);
        if (!small)
            return nn_fail(err, NN_E_NOMEM, "glyph: out of memory");
        crop = small;
    }
    *ink = crop;
    return NN_OK;
}

int nn_glyph_draw(PIX *ink, const nn_glyph_params *p, uint8_t *out, nn_error *err)
{
    int rc = nn_glyph_params_check(p, err);
    if (rc)
        return rc;
    if (!ink || pixGetDepth(ink) != 1)
        return nn_fail(err, NN_E_STATE, "glyph: the ink must be a 1 bpp image");
    /* Cropped again: the ink may have shrunk in a reduction. */
    BOX *box = NULL;
    PIX *crop = NULL, *tight = NULL;
    int empty = pixClipToForeground(ink, &tight, &box) != 0 || !tight;
    boxDestroy(&box);
    if (empty) {
        pixDestroy(&tight);
        return nn_fail(err, NN_E_FORMAT, "glyph: the image holds no ink");
    }
    crop = tight;
    /* Fit the longer side into the square inside the margin. */
    const int k = p->supersample, canvas_side = p->size * k;
    const double inner = inner_side(p);
    const int cw = pixGetWidth(crop), ch = pixGetHeight(crop);
    const double f = inner / (cw > ch ? cw : ch);
    int w = (int)lround(cw * f), h = (int)lround(ch * f);
    w = w < 1 ? 1 : w;
    h = h < 1 ? 1 : h;
    PIX *fitted = nn_mask_scale(crop, w, h);
    pixDestroy(&crop);
    PIX *canvas = fitted ? pixCreate(canvas_side, canvas_side, 1) : NULL;
    if (canvas)
        pixRasterop(canvas, (canvas_side - w) / 2, (canvas_side - h) / 2, w, h, PIX_SRC, fitted, 0,
                    0);
    pixDestroy(&fitted);
    if (canvas && p->stroke > 0) {
        int smooth = (int)lround(SMOOTH_FRACTION * inner);
        PIX *redrawn = redraw_strokes(canvas, (int)lround(p->stroke * inner),
                                      smooth < 1 ? 1 : smooth, (int)lround(SPUR_FRACTION * inner));
        pixDestroy(&canvas);
        canvas = redrawn;
    }
    if (!canvas)
        return nn_fail(err, NN_E_NOMEM, "glyph: out of memory (Leptonica: %s)",
                       nn_lept_last_message());
    average_down(canvas, k, p->size, out);
    pixDestroy(&canvas);
    return NN_OK;
}

int nn_glyph_from_mask(PIX *mask, const nn_glyph_params *p, uint8_t *out, nn_error *err)
{
    PIX *ink = NULL;
    int rc = nn_glyph_ink(mask, p, &ink, err);
    if (!rc)
        rc = nn_glyph_draw(ink, p, out, err);
    pixDestroy(&ink);
    return rc;
}

/* ---- data set images ------------------------------------------------------ */

/* Median of the image's outermost ring of pixels: the background of a
 * one-character image (the character rarely fills the whole border). */
static int border_median(PIX *g)
{
    const int w = pixGetWidth(g), h = pixGetHeight(g);
    int hist[256] = { 0 }, n = 0;
    for (int x = 0; x < w; x++) {
        l_uint32 a, b;
        pixGetPixel(g, x, 0, &a);
        pixGetPixel(g, x, h - 1, &b);
        hist[a]++, hist[b]++, n += 2;
    }
    for (int y = 1; y < h - 1; y++) {
        l_uint32 a, b;
        pixGetPixel(g, 0, y, &a);
        pixGetPixel(g, w - 1, y, &b);
        hist[a]++, hist[b]++, n += 2;
    }
    int acc = 0;
    for (int v = 0; v < 256; v++)
        if ((acc += hist[v]) * 2 >= n)
            return v;
    return 255;
}

int nn_glyph_mask_from_gray(PIX *g, nn_ink ink, PIX **mask, nn_error *err)
{
    *mask = NULL;
    if (!g || pixGetDepth(g) != 8 || pixGetColormap(g))
        return nn_fail(err, NN_E_STATE, "glyph: expected an 8 bpp grey image");
    const int w = pixGetWidth(g), h = pixGetHeight(g), bg = border_median(g);
    const l_uint32 *data = pixGetData(g);
    const int wpl = pixGetWpl(g);
    if (ink == NN_INK_AUTO) {
        /* Ink is whichever side of the background has more clearly
         * different pixels. */
        long darker = 0, lighter = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v = GET_DATA_BYTE(data + (size_t)y * wpl, x);
                darker += v < bg - 16;
                lighter += v > bg + 16;
            }
        ink = darker >= lighter ? NN_INK_DARK : NN_INK_LIGHT;
    }
    double hist[256] = { 0 };
    int top = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = GET_DATA_BYTE(data + (size_t)y * wpl, x);
            int c = ink == NN_INK_DARK ? bg - v : v - bg;
            c = c < 0 ? 0 : c;
            hist[c]++;
            top = c > top ? c : top;
        }
    if (top < 16)
        return nn_fail(err, NN_E_FORMAT, "glyph: no ink (contrast of %d grey levels)", top);
    int t = nn_otsu_level(hist);
    t = t < 16 ? 16 : t;
    PIX *m = pixCreate(w, h, 1);
    if (!m)
        return nn_fail(err, NN_E_NOMEM, "glyph: out of memory");
    l_uint32 *md = pixGetData(m);
    const int mwpl = pixGetWpl(m);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = GET_DATA_BYTE(data + (size_t)y * wpl, x);
            int c = ink == NN_INK_DARK ? bg - v : v - bg;
            if (c > t)
                SET_DATA_BIT(md + (size_t)y * mwpl, x);
        }
    *mask = m;
    return NN_OK;
}
