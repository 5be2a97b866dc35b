/* Finding the characters of a page: binarise, drop specks, measure the
 * stroke width, join broken strokes (dilating only to find which ink
 * belongs together; each character keeps its undilated ink), take
 * 8-connected components, filter them by size relative to the median
 * character, then lay them out in lines and words (layout.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ocr/ocr_internal.h"

#define SPECK_OF_REF        0.02 /* pieces under 2% of a typical character's ink are specks */
#define CHAR_OF_REF         0.2  /* pieces over 20% of it count when measuring character height */
#define TOO_TALL            3.0  /* taller than 3 median characters: not a character */
#define TOO_WIDE            5.0  /* wider than 5: a rule, a shadow, the paper's edge */
#define TOO_LOW             0.35 /* lower than 0.35 of the median: a period, comma or dash */
#define TEXT_HEIGHT_STROKES 3.0  /* characters are at least 3 strokes tall; noise is not */
#define MIN_CHAR_HEIGHT     8    /* pixels: below this nothing can be read anyway */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The area-weighted median piece size: half of all ink lies in pieces at
 * least this big. Specks are many but hold little ink, so this is the size
 * of a character (or a large part of one) whatever the noise. */
static int reference_area(int *areas, int n)
{
    qsort(areas, (size_t)n, sizeof *areas, cmp_int);
    double total = 0, acc = 0;
    for (int i = 0; i < n; i++)
        total += areas[i];
    for (int i = n - 1; i >= 0; i--)
        if ((acc += areas[i]) * 2 >= total)
            return areas[i];
    return 0;
}

static int piece_areas(PIXA *pieces, int n, int **areas)
{
    *areas = malloc((size_t)(n > 0 ? n : 1) * sizeof **areas);
    if (!*areas)
        return -1;
    for (int i = 0; i < n; i++) {
        PIX *p = pixaGetPix(pieces, i, L_CLONE);
        pixCountPixels(p, &(*areas)[i], NULL);
        pixDestroy(&p);
    }
    return 0;
}

/* The ink of the page without specks; *ref: the reference area. */
static int clean_ink(PIX *ink, int threshold, PIX **clean, int *ref, nn_error *err)
{
    PIXA *pieces = NULL;
    BOXA *boxes = pixConnComp(ink, &pieces, 8);
    int n = boxes ? boxaGetCount(boxes) : 0, *areas = NULL;
    int rc = boxes && piece_areas(pieces, n, &areas) == 0
                 ? NN_OK
                 : nn_fail(err, NN_E_NOMEM, "page: out of memory");
    if (!rc && n == 0)
        rc = nn_fail(err, NN_E_FORMAT,
                     "no ink found: nothing is darker than the paper around "
                     "it by more than the paper's own variation (contrast threshold %d of 255); "
                     "a blank page, or a page of noise",
                     threshold);
    if (!rc) {
        int *sorted = malloc((size_t)(n > 0 ? n : 1) * sizeof *sorted);
        if (!sorted)
            rc = nn_fail(err, NN_E_NOMEM, "page: out of memory");
        else {
            memcpy(sorted, areas, (size_t)n * sizeof *sorted);
            *ref = reference_area(sorted, n);
            free(sorted);
        }
    }
    if (!rc && !(*clean = pixCreateTemplate(ink)))
        rc = nn_fail(err, NN_E_NOMEM, "page: out of memory");
    for (int i = 0; !rc && i < n; i++) {
        if (areas[i] < SPECK_OF_REF * *ref)
            continue;
        l_int32 x, y, w, h;
        boxaGetBoxGeometry(boxes, i, &x, &y, &w, &h);
        PIX *p = pixaGetPix(pieces, i, L_CLONE);
        pixRasterop(*clean, x, y, w, h, PIX_SRC | PIX_DST, p, 0, 0);
        pixDestroy(&p);
    }
    free(areas);
    boxaDestroy(&boxes);
    pixaDestroy(&pieces);
    return rc;
}

/* The undilated ink under one dilated component: its box, mask and area. */
static int component_ink(PIX *clean, PIX *comp, int x, int y, nn_ocr_char *out, int *area)
{
    BOX *b = boxCreate(x, y, pixGetWidth(comp), pixGetHeight(comp));
    PIX *under = b ? pixClipRectangle(clean, b, NULL) : NULL;
    PIX *mine = under ? pixAnd(NULL, under, comp) : NULL;
    PIX *tight = NULL;
    BOX *tb = NULL;
    int ok = mine && pixClipToForeground(mine, &tight, &tb) == 0 && tight;
    *area = 0;
    if (ok) {
        l_int32 tx, ty, tw, th;
        boxGetGeometry(tb, &tx, &ty, &tw, &th);
        *out = (nn_ocr_char){ .x = x + tx, .y = y + ty, .w = tw, .h = th, .mask = tight };
        pixCountPixels(tight, area, NULL);
        tight = NULL;
    }
    boxDestroy(&b);
    boxDestroy(&tb);
    pixDestroy(&under);
    pixDestroy(&mine);
    pixDestroy(&tight);
    return ok;
}

/* Components of the dilated ink, each with its own undilated ink. */
static int find_pieces(PIX *clean, int join, nn_ocr_page *pg, int **areas, nn_error *err)
{
    PIX *joined = pixDilateBrick(NULL, clean, join, join);
    PIXA *comps = NULL;
    BOXA *boxes = joined ? pixConnComp(joined, &comps, 8) : NULL;
    pixDestroy(&joined);
    int n = boxes ? boxaGetCount(boxes) : 0;
    pg->chars = boxes ? calloc((size_t)(n > 0 ? n : 1), sizeof *pg->chars) : NULL;
    *areas = pg->chars ? malloc((size_t)(n > 0 ? n : 1) * sizeof **areas) : NULL;
    int rc = *areas ? NN_OK : nn_fail(err, NN_E_NOMEM, "page: out of memory");
    for (int i = 0; !rc && i < n; i++) {
        l_int32 x, y, w, h;
        boxaGetBoxGeometry(boxes, i, &x, &y, &w, &h);
        PIX *comp = pixaGetPix(comps, i, L_CLONE);
        if (component_ink(clean, comp, x, y, &pg->chars[pg->n_chars], &(*areas)[pg->n_chars]))
            pg->n_chars++;
        pixDestroy(&comp);
    }
    boxaDestroy(&boxes);
    pixaDestroy(&comps);
    return rc;
}

/* Median height of the pieces that hold a character's worth of ink. */
static double char_height(const nn_ocr_page *pg, const int *areas, int ref)
{
    int *h = malloc((size_t)(pg->n_chars > 0 ? pg->n_chars : 1) * sizeof *h), n = 0;
    if (!h)
        return 0;
    for (int i = 0; i < pg->n_chars; i++)
        if (areas[i] >= CHAR_OF_REF * ref)
            h[n++] = pg->chars[i].h;
    qsort(h, (size_t)n, sizeof *h, cmp_int);
    double med = n ? h[n / 2] : 0;
    free(h);
    return med;
}

/* Drop pieces far larger than a character (rules, shadows, paper edges). */
static void drop_large(nn_ocr_page *pg)
{
    int m = 0;
    for (int i = 0; i < pg->n_chars; i++) {
        nn_ocr_char *c = &pg->chars[i];
        if (c->h > TOO_TALL * pg->char_height || c->w > TOO_WIDE * pg->char_height) {
            pixDestroy(&c->mask);
            pg->n_large++;
        } else {
            pg->chars[m++] = *c;
        }
    }
    pg->n_chars = m;
}

int nn_ocr_segment(PIX *gray8, nn_ocr_page *pg, nn_error *err)
{
    memset(pg, 0, sizeof *pg);
    if (!gray8 || pixGetDepth(gray8) != 8)
        return nn_fail(err, NN_E_STATE, "page: expected an 8 bpp grey image");
    pg->width = pixGetWidth(gray8);
    pg->height = pixGetHeight(gray8);
    PIX *ink = NULL, *clean = NULL;
    int ref = 0, *areas = NULL;
    int rc = nn_page_binarize(gray8, &ink, &pg->threshold, err);
    if (!rc)
        rc = clean_ink(ink, pg->threshold, &clean, &ref, err);
    pixDestroy(&ink);
    if (!rc) {
        pg->stroke_px = nn_mask_stroke_width(clean);
        /* Gaps in a stroke (pencil skipping, a faint spot) are narrower
         * than the stroke; letters stand further apart than that. */
        int join = (int)lround(pg->stroke_px);
        rc = find_pieces(clean, join < 1 ? 1 : join, pg, &areas, err);
    }
    pixDestroy(&clean);
    if (!rc) {
        pg->char_height = char_height(pg, areas, ref);
        if (pg->char_height < MIN_CHAR_HEIGHT)
            rc = nn_fail(err, NN_E_FORMAT,
                         "no ink found: the page looks blank (only specks, "
                         "typically %.0f px tall; characters are at least %d)",
                         pg->char_height, MIN_CHAR_HEIGHT);
        else if (pg->char_height < TEXT_HEIGHT_STROKES * pg->stroke_px)
            rc = nn_fail(err, NN_E_FORMAT,
                         "no text found: the ink is in blobs (typical height "
                         "%.0f px, stroke %.1f px), not in characters at least %g strokes and %d "
                         "pixels tall; is this a page of noise?",
                         pg->char_height, pg->stroke_px, TEXT_HEIGHT_STROKES, MIN_CHAR_HEIGHT);
    }
    free(areas);
    if (!rc) {
        drop_large(pg);
        pg->n_lines = nn_ocr_layout(pg->chars, &pg->n_chars, TOO_LOW * pg->char_height,
                                    &pg->n_merged, &pg->n_small);
        if (pg->n_lines < 0)
            rc = nn_fail(err, NN_E_NOMEM, "page: out of memory laying out lines");
        else if (pg->n_chars == 0)
            rc = nn_fail(err, NN_E_FORMAT,
                         "no characters found: every piece of ink was too "
                         "small or too large to be one");
    }
    if (rc)
        nn_ocr_page_free(pg);
    return rc;
}

void nn_ocr_page_free(nn_ocr_page *pg)
{
    if (!pg)
        return;
    for (int i = 0; i < pg->n_chars; i++)
        pixDestroy(&pg->chars[i].mask);
    free(pg->chars);
    memset(pg, 0, sizeof *pg);
}
