/* The boxes figure: the page, each character's box coloured by its line,
 * and what the network read written above it (Leptonica's bitmap font). */
#include <math.h>
#include <stdlib.h>

#include "ocr_internal.h"

static const l_uint8 palette[6][3] = {
    {220, 30, 30}, {30, 110, 230}, {20, 160, 60}, {200, 110, 0}, {150, 40, 200}, {0, 150, 160}};

/* Leptonica's fonts come in even sizes 4..20, about 4.2 pixels of line
 * height per size unit: the largest whose lines fit in px. */
static int font_size_for(double px)
{
    int s = (int)(px / 4.2 / 2) * 2;
    return s < 4 ? 4 : s > 20 ? 20 : s;
}

int nn_ocr_draw_boxes(const char *path, PIX *gray8, const nn_ocr_page *pg,
                      const char *const *labels, int max_side, nn_error *err)
{
    nn_lept_quiet();
    const int W = pixGetWidth(gray8), H = pixGetHeight(gray8);
    const double s = fmin(1.0, (double)max_side / (W > H ? W : H));
    PIX *small = pixScale(gray8, (float)s, (float)s);
    PIX *rgb = small ? pixConvertTo32(small) : NULL;
    pixDestroy(&small);
    if (!rgb)
        return nn_fail(err, NN_E_NOMEM, "%s: out of memory drawing the boxes", path);
    L_BMF *font = labels ? bmfCreate(NULL, font_size_for(0.6 * pg->char_height * s)) : NULL;
    const int thick = s * pg->stroke_px > 2 ? 2 : 1;
    for (int i = 0; i < pg->n_chars; i++) {
        const nn_ocr_char *c = &pg->chars[i];
        const l_uint8 *col = palette[c->line % 6];
        BOX *b = boxCreate((int)(c->x * s), (int)(c->y * s), (int)ceil(c->w * s),
                           (int)ceil(c->h * s));
        if (b)
            pixRenderBoxArb(rgb, b, thick, col[0], col[1], col[2]);
        boxDestroy(&b);
        if (font && labels[i]) {
            l_uint32 val = 0;
            composeRGBPixel(col[0], col[1], col[2], &val);
            pixSetTextline(rgb, font, labels[i], val, (int)(c->x * s), (int)(c->y * s) - 3, NULL,
                           NULL);
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
