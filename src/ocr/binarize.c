/* Page binarisation for photos of handwriting. Paper in a photo is never
 * evenly lit, so a global threshold fails; instead the paper's brightness
 * is estimated everywhere by a grey closing (a max filter then a min filter
 * wider than any stroke, which erases dark strokes and keeps the slow
 * shading), and ink is what is clearly darker than the paper around it,
 * relative to that paper's brightness. */
#include <math.h>
#include <stdlib.h>

#include "ocr/ocr_internal.h"

/* The closing must be wider than any pen stroke. Strokes are about a tenth
 * of a character's height, and a character of a readable page is well under
 * a fifth of the page, so 1/25 of the shorter side leaves a wide margin. */
#define BG_WINDOW_FRACTION (1.0 / 25)
#define BG_WINDOW_MIN      15
/* The paper's own noise (grain, JPEG artefacts) must not pass for ink: the
 * threshold is at least this many robust standard deviations above it. */
#define NOISE_SIGMAS 6.0
#define MIN_CONTRAST 12 /* grey levels, relative to white paper */

static int odd(int v) { return v | 1; }

/* contrast = 255 * (paper - pixel) / paper, clamped to 0..255. */
static PIX *contrast_image(PIX *smooth, PIX *paper)
{
    const int w = pixGetWidth(smooth), h = pixGetHeight(smooth);
    PIX *c = pixCreate(w, h, 8);
    if (!c)
        return NULL;
    const l_uint32 *s = pixGetData(smooth), *p = pixGetData(paper);
    l_uint32 *d = pixGetData(c);
    const int swpl = pixGetWpl(smooth), pwpl = pixGetWpl(paper), dwpl = pixGetWpl(c);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = GET_DATA_BYTE(s + (size_t)y * swpl, x);
            int bg = GET_DATA_BYTE(p + (size_t)y * pwpl, x);
            int k = bg > v ? 255 * (bg - v) / (bg > 0 ? bg : 1) : 0;
            SET_DATA_BYTE(d + (size_t)y * dwpl, x, k > 255 ? 255 : k);
        }
    return c;
}

/* The value below which fraction q of the histogram lies. */
static int quantile(const double hist[256], double q)
{
    double total = 0, acc = 0;
    for (int i = 0; i < 256; i++)
        total += hist[i];
    for (int i = 0; i < 256; i++)
        if ((acc += hist[i]) >= q * total)
            return i;
    return 255;
}

/* Threshold: Otsu's level of the contrast, but never inside the paper's
 * noise (median + NOISE_SIGMAS robust deviations: most pixels are paper),
 * which *noise receives. */
static int choose_threshold(PIX *contrast, int *noise)
{
    double hist[256] = { 0 };
    const int w = pixGetWidth(contrast), h = pixGetHeight(contrast);
    const l_uint32 *d = pixGetData(contrast);
    const int wpl = pixGetWpl(contrast);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            hist[GET_DATA_BYTE(d + (size_t)y * wpl, x)]++;
    int med = quantile(hist, 0.5);
    double mad_hist[256] = { 0 };
    for (int i = 0; i < 256; i++)
        mad_hist[abs(i - med)] += hist[i];
    double sigma = 1.4826 * quantile(mad_hist, 0.5);
    int floor_level = (int)ceil(med + NOISE_SIGMAS * (sigma > 1 ? sigma : 1));
    floor_level = floor_level > MIN_CONTRAST ? floor_level : MIN_CONTRAST;
    *noise = floor_level;
    int t = nn_otsu_level(hist);
    return t > floor_level ? t : floor_level;
}

/* 1 where contrast > t. */
static PIX *above(PIX *contrast, int t)
{
    const int w = pixGetWidth(contrast), h = pixGetHeight(contrast);
    PIX *m = pixCreate(w, h, 1);
    if (!m)
        return NULL;
    const l_uint32 *d = pixGetData(contrast);
    l_uint32 *md = pixGetData(m);
    const int wpl = pixGetWpl(contrast), mwpl = pixGetWpl(m);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (GET_DATA_BYTE(d + (size_t)y * wpl, x) > t)
                SET_DATA_BIT(md + (size_t)y * mwpl, x);
    return m;
}

int nn_page_binarize(PIX *gray8, PIX **ink, int *threshold, nn_error *err)
{
    *ink = NULL;
    nn_lept_quiet();
    const int w = pixGetWidth(gray8), h = pixGetHeight(gray8);
    const int side = w < h ? w : h;
    int win = odd((int)(side * BG_WINDOW_FRACTION));
    win = win < BG_WINDOW_MIN ? BG_WINDOW_MIN : win;
    /* A 3x3 median takes out salt-and-pepper noise without blurring edges. */
    PIX *smooth = pixMedianFilter(gray8, 3, 3);
    PIX *paper = smooth ? pixCloseGray(smooth, win, win) : NULL;
    PIX *contrast = paper ? contrast_image(smooth, paper) : NULL;
    int rc = contrast ? NN_OK
                      : nn_fail(err, NN_E_NOMEM, "page: out of memory (Leptonica: %s)",
                                nn_lept_last_message());
    if (!rc) {
        /* Hysteresis: pixels above the threshold seed the ink, which then
         * grows into connected pixels above half of it (but above the
         * noise), so the faint parts of a pencil stroke stay attached to
         * its dark parts. */
        int noise = 0, t = choose_threshold(contrast, &noise);
        PIX *strong = above(contrast, t), *weak = above(contrast, t / 2 > noise ? t / 2 : noise);
        *ink = strong && weak ? pixSeedfillBinary(NULL, strong, weak, 8) : NULL;
        pixDestroy(&strong);
        pixDestroy(&weak);
        *threshold = t;
        if (!*ink)
            rc = nn_fail(err, NN_E_NOMEM, "page: out of memory thresholding");
    }
    pixDestroy(&smooth);
    pixDestroy(&paper);
    pixDestroy(&contrast);
    return rc;
}
