/* The boxes figure: the page, each character's box coloured by its line,
 * and what the network read written above it (Leptonica's bitmap font). */
#include <math.h>
#include <stdlib.h>

#include "ocr/ocr_internal.h"

static const l_uint8 palette[6][3] = { { 220, 30, 30 }, { 30, 110, 230 }, { 20, 160, 60 },
                                       { 200, 110, 0 }, { 150, 40, 200 }, { 0, 150, 160 } };

/* Leptonica's fonts come in even sizes 4..20, about 4.2 pixels of line
 * height per size unit: the largest whose lines fit in px. */
static int font_size_for(double px)
{
    int s = (int)(px / 4.2 / 2) * 2;
    return s < 4 ? 4 : s > 20 ? 20 : s;
}

/* The page with its typical (median) grey made white, so boxes and labels
 * stand out, in 16 grey levels: the figure is for looking at, and a PNG of
 * a photo's grain would weigh megabytes. */
static void lighten(PIX *g)
{
    l_uint32 *d = pixGetData(g);
    const int w = pixGetWidth(g), h = pixGetHeight(g), wpl = pixGetWpl(g);
    long hist[256] = { 0 }, acc = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            hist[GET_DATA_BYTE(d + (size_t)y * wpl, x)]++;
    int median = 255;
    for (int v = 0; v < 256; v++)
        if ((acc += hist[v]) * 2 >= (long)w * h) {
            median = v > 0 ? v : 1;
            break;
        }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = GET_DATA_BYTE(d + (size_t)y * wpl, x) * 255 / median;
            SET_DATA_BYTE(d + (size_t)y * wpl, x, v >= 240 ? 255 : v & 0xF0);
        }
}

int nn_ocr_draw_boxes(const char *path, PIX *gray8, const nn_ocr_page *pg,
                      const char *const *labels, int max_side, nn_error *err)
{
    nn_lept_quiet();
    const int W = pixGetWidth(gray8), H = pixGetHeight(gray8);
    const double s = fmin(1.0, (double)max_side / (W > H ? W : H));
    PIX *small = pixScale(gray8, (float)s, (float)s);
    if (small)
        lighten(small);
    PIX *rgb = small ? pixConvertTo32(small) : NULL;
    pixDestroy(&small);
    if (!rgb)
        return nn_fail(err, NN_E_NOMEM, "%s: out of memory drawing the boxes", path);
    L_BMF *font = labels ? bmfCreate(NULL, font_size_for(0.8 * pg->char_height * s)) : NULL;
    const int thick = s * pg->stroke_px > 2 ? 2 : 1;
    for (int i = 0; i < pg->n_chars; i++) {
        const nn_ocr_char *c = &pg->chars[i];
        const l_uint8 *col = palette[c->line % 6];
        BOX *b =
            boxCreate((int)(c->x * s), (int)(c->y * s), (int)ceil(c->w * s), (int)ceil(c->h * s));
        if (b)
            pixRenderBoxArb(rgb, b, thick, col[0], col[1], col[2]);
        boxDestroy(&b);
        if (font && labels[i]) {
            l_uint32 val = 0;
            composeRGBPixel(col[0], col[1], col[2], &val);
            /* above the box (the baseline 3 px over it), or below it at the top edge */
            int base = (int)(c->y * s) - 3;
            if (base - font->lineheight * 3 / 4 < 0)
                base = (int)((c->y + c->h) * s) + font->lineheight * 3 / 4 + 3;
            pixSetTextline(rgb, font, labels[i], val, (int)(c->x * s), base, NULL, NULL);
        }
    }
    bmfDestroy(&font);
    int bad = pixWrite(path, rgb, IFF_PNG);
    pixDestroy(&rgb);
    if (bad)
        return nn_fail(err, NN_E_IO, "%s: cannot write the boxes image (Leptonica: %s)", path,
                       nn_lept_last_message());
    return NN_OK;
}
