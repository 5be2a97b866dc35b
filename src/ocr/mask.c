/* Small operations on binary masks and histograms shared by the page
 * segmentation and the glyph preprocessing. */
#include <math.h>
#include <stdlib.h>

#include "ocr/ocr_internal.h"

int nn_otsu_level(const double hist[256])
{
    double total = 0, sum = 0;
    for (int i = 0; i < 256; i++) {
        total += hist[i];
        sum += i * hist[i];
    }
    double w0 = 0, sum0 = 0, best = -1;
    int level = 0;
    for (int t = 0; t < 255; t++) {
        w0 += hist[t];
        sum0 += t * hist[t];
        double w1 = total - w0;
        if (w0 <= 0 || w1 <= 0)
            continue;
        double m0 = sum0 / w0, m1 = (sum - sum0) / w1;
        double between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (between > best) {
            best = between;
            level = t;
        }
    }
    return level;
}

PIX *nn_mask_drop_specks(PIX *mask, double min_fraction, int *largest)
{
    PIXA *pieces = NULL;
    BOXA *boxes = pixConnComp(mask, &pieces, 8);
    int n = boxes ? boxaGetCount(boxes) : 0;
    int *count = n > 0 ? calloc((size_t)n, sizeof *count) : NULL;
    PIX *out = boxes && (n == 0 || count) ? pixCreateTemplate(mask) : NULL;
    int big = 0;
    for (int i = 0; out && i < n; i++) {
        PIX *p = pixaGetPix(pieces, i, L_CLONE);
        pixCountPixels(p, &count[i], NULL);
        pixDestroy(&p);
        big = count[i] > big ? count[i] : big;
    }
    for (int i = 0; out && i < n; i++) {
        if (count[i] < min_fraction * big)
            continue;
        l_int32 x, y, w, h;
        boxaGetBoxGeometry(boxes, i, &x, &y, &w, &h);
        PIX *p = pixaGetPix(pieces, i, L_CLONE);
        pixRasterop(out, x, y, w, h, PIX_SRC | PIX_DST, p, 0, 0);
        pixDestroy(&p);
    }
    if (largest)
        *largest = big;
    free(count);
    boxaDestroy(&boxes);
    pixaDestroy(&pieces);
    return out;
}

double nn_mask_stroke_width(PIX *mask)
{
    l_int32 area = 0, inner = 0;
    pixCountPixels(mask, &area, NULL);
    PIX *eroded = pixErodeBrick(NULL, mask, 3, 3);
    if (eroded)
        pixCountPixels(eroded, &inner, NULL);
    pixDestroy(&eroded);
    int boundary = area - inner;
    return boundary > 0 ? 2.0 * area / boundary : 0.0;
}

SEL *nn_disk_sel(int diameter)
{
    if (diameter < 1)
        diameter = 1;
    SEL *sel = selCreate(diameter, diameter, "disk");
    if (!sel)
        return NULL;
    double c = (diameter - 1) / 2.0, r = diameter / 2.0;
    for (int y = 0; y < diameter; y++)
        for (int x = 0; x < diameter; x++)
            if ((x - c) * (x - c) + (y - c) * (y - c) <= r * r)
                selSetElement(sel, y, x, SEL_HIT);
    selSetOrigin(sel, diameter / 2, diameter / 2);
    return sel;
}
